/// A challenger against the live deployment on the same request ids only
/// (DESIGN.md §4): the paired difference of a metric with its 95% interval.
///
/// The interval is the paired t interval of the per-request differences
/// (mean ± t₀.₉₇₅,ₙ₋₁ · s/√n). Significance is an exact paired test for
/// accuracy (McNemar's, binomial on the discordant pairs) and the paired t
/// test for the other metrics. docs/decisions.md explains the choice.
public struct PairedComparison: Sendable, Equatable, Encodable {
    public var metric: ScoreMetric
    public var pairedRequests: Int
    public var challenger: Double
    public var live: Double
    /// `challenger - live`.
    public var difference: Double
    /// The difference signed so that positive is better for the challenger.
    public var improvement: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var confidence: Double
    public var pValue: Double
    public var method: String
    /// Share of paired requests where both gave the same answer (labels
    /// equal; numbers within 1% of each other).
    public var agreementRate: Double

    /// Whether the difference is significant at 5%.
    public var significant: Bool { pValue < 0.05 }

    /// A comparison.
    public init(
        metric: ScoreMetric, pairedRequests: Int, challenger: Double, live: Double, difference: Double, ciLow: Double,
        ciHigh: Double, pValue: Double, method: String, agreementRate: Double
    ) {
        self.metric = metric
        self.pairedRequests = pairedRequests
        self.challenger = challenger
        self.live = live
        self.difference = difference
        self.improvement = metric.higherIsBetter ? difference : -difference
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.confidence = 0.95
        self.pValue = pValue
        self.method = method
        self.agreementRate = agreementRate
    }

    enum CodingKeys: String, CodingKey {
        case metric, pairedRequests = "paired_requests", challenger, live, difference, improvement
        case ciLow = "ci_low", ciHigh = "ci_high", confidence, pValue = "p_value", method
        case agreementRate = "agreement_rate", significant
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metric.rawValue, forKey: .metric)
        try container.encode(pairedRequests, forKey: .pairedRequests)
        try container.encode(challenger, forKey: .challenger)
        try container.encode(live, forKey: .live)
        try container.encode(difference, forKey: .difference)
        try container.encode(improvement, forKey: .improvement)
        try container.encode(ciLow, forKey: .ciLow)
        try container.encode(ciHigh, forKey: .ciHigh)
        try container.encode(confidence, forKey: .confidence)
        try container.encode(pValue, forKey: .pValue)
        try container.encode(method, forKey: .method)
        try container.encode(agreementRate, forKey: .agreementRate)
        try container.encode(significant, forKey: .significant)
    }

    /// From sufficient statistics of the per-request differences
    /// `d = metric_challenger - metric_live`: count, Σd, Σd², and for
    /// accuracy the discordant counts (`b`: only the challenger right,
    /// `c`: only live right).
    public static func compute(
        metric: ScoreMetric, n: Int, sumChallenger: Double, sumLive: Double, sumD: Double, sumD2: Double,
        discordant: (b: Int, c: Int)?, agreements: Int
    ) -> PairedComparison? {
        guard n > 0 else { return nil }
        let count = Double(n)
        let mean = sumD / count
        var low = mean
        var high = mean
        if n > 1 {
            let variance = max(0, (sumD2 - count * mean * mean) / (count - 1))
            let half = StudentT.quantile(0.975, degreesOfFreedom: count - 1) * (variance / count).squareRoot()
            low = mean - half
            high = mean + half
        }
        var pValue = 1.0
        var method = "paired-t"
        if let discordant {
            pValue = Binomial.mcNemarExactPValue(b: discordant.b, c: discordant.c)
            method = "paired-t interval, exact McNemar test"
        } else if n > 1 {
            let variance = max(0, (sumD2 - count * mean * mean) / (count - 1))
            if variance > 0 {
                let t = mean / (variance / count).squareRoot()
                pValue = min(1, 2 * (1 - StudentT.cdf(abs(t), degreesOfFreedom: count - 1)))
            } else {
                pValue = mean == 0 ? 1 : 0
            }
        }
        return PairedComparison(
            metric: metric, pairedRequests: n, challenger: sumChallenger / count, live: sumLive / count, difference: mean,
            ciLow: low, ciHigh: high, pValue: pValue, method: method, agreementRate: Double(agreements) / count)
    }
}

/// The metrics a promotion can be judged on: those that are a mean of a
/// per-request value, so that paired differences are defined.
public enum ScoreMetric: String, Sendable, Equatable, CaseIterable {
    case accuracy
    case logLoss = "log_loss"
    case mae
    case mse

    /// Whether a larger value is better.
    public var higherIsBetter: Bool { self == .accuracy }

    /// The task the metric applies to.
    public var task: ModelTask {
        switch self {
        case .accuracy, .logLoss: .classification
        case .mae, .mse: .regression
        }
    }

    /// The metric used when a policy says `default`.
    public static func main(for task: ModelTask) -> ScoreMetric {
        task == .classification ? .accuracy : .mae
    }
}
