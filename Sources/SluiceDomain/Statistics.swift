import Foundation

/// The regularized incomplete beta function Iₓ(a, b), by the continued
/// fraction of Numerical Recipes §6.4 (modified Lentz), accurate to ~1e-14.
enum IncompleteBeta {
    static func regularized(a: Double, b: Double, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logBeta + logPowers
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - exp(logFront) * continuedFraction(a: b, b: a, x: 1 - x) / b
    }

    private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m)
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}

/// Student's t distribution.
enum StudentT {
    /// P(T ≤ t) with `degreesOfFreedom` ν.
    static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let x = nu / (nu + t * t)
        let tail = 0.5 * IncompleteBeta.regularized(a: nu / 2, b: 0.5, x: x)
        return t >= 0 ? 1 - tail : tail
    }

    /// The `p` quantile (0.5 < p < 1), by bisection on the CDF.
    static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        var low = 0.0
        var high = 1.0
        while cdf(high, degreesOfFreedom: nu) < p { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if cdf(middle, degreesOfFreedom: nu) < p { low = middle } else { high = middle }
            if high - low < 1e-12 { break }
        }
        return (low + high) / 2
    }
}

/// The binomial distribution.
enum Binomial {
    /// P(X ≤ k) for X ~ Bin(n, p).
    static func cdf(_ k: Int, n: Int, p: Double) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        return IncompleteBeta.regularized(a: Double(n - k), b: Double(k + 1), x: 1 - p)
    }

    /// McNemar's exact test: two-sided p-value of `b` against `c` discordant
    /// pairs under Bin(b + c, ½).
    static func mcNemarExactPValue(b: Int, c: Int) -> Double {
        let m = b + c
        guard m > 0 else { return 1 }
        return min(1, 2 * cdf(min(b, c), n: m, p: 0.5))
    }
}
