import Foundation

/// Generated production traffic with known ground truth: one live and two
/// stealth deployments answering the same requests, one better and one
/// worse than live.
struct Traffic {
    struct Answer {
        var label: String?
        var number: Double?
        var probabilities: [String: Double]?
        var latency: Double
    }

    var requests: [String] = []
    var actualLabels: [String: String] = [:]
    var actualNumbers: [String: Double] = [:]
    /// Answers per deployment key (`live`, `better`, `worse`) per request.
    var answers: [String: [String: Answer]] = [:]

    static let labels = ["fraud", "ok", "review"]

    static func classification(seed: UInt64, count: Int, outcomeShare: Double = 0.85) -> Traffic {
        var random = SplitMix(seed: seed)
        var traffic = Traffic()
        let skill = ["live": 0.70, "better": 0.85, "worse": 0.55]
        for index in 0..<count {
            let id = "req-\(seed)-\(index)"
            traffic.requests.append(id)
            let truth = labels[Int(random.next() % 3)]
            if random.uniform() < outcomeShare { traffic.actualLabels[id] = truth }
            for (key, accuracy) in skill {
                let right = random.uniform() < accuracy
                let label = right ? truth : labels.filter { $0 != truth }[Int(random.next() % 2)]
                var probabilities: [String: Double]?
                if key != "worse" {
                    let top = 0.5 + 0.45 * random.uniform()
                    let rest = (1 - top) / 2
                    probabilities = Dictionary(uniqueKeysWithValues: labels.map { ($0, $0 == label ? top : rest) })
                }
                traffic.answers[key, default: [:]][id] = Answer(label: label, probabilities: probabilities, latency: 2 + 20 * random.uniform())
            }
        }
        return traffic
    }

    static func regression(seed: UInt64, count: Int) -> Traffic {
        var random = SplitMix(seed: seed)
        var traffic = Traffic()
        let noise = ["live": 1.0, "better": 0.6, "worse": 1.6]
        for index in 0..<count {
            let id = "reg-\(seed)-\(index)"
            traffic.requests.append(id)
            let truth = 100 * random.uniform()
            if random.uniform() < 0.9 { traffic.actualNumbers[id] = truth }
            for (key, sd) in noise {
                let error = sd * (random.uniform() + random.uniform() + random.uniform() - 1.5) * 2
                traffic.answers[key, default: [:]][id] = Answer(number: truth + error + 0.1, latency: 1 + 5 * random.uniform())
            }
        }
        return traffic
    }

    /// The predictions of `key` as a JSON array for `/v1/predictions`.
    func predictions(_ key: String, deployment: String, at: String) -> [[String: Any]] {
        requests.compactMap { id in
            guard let answer = answers[key]?[id] else { return nil }
            var output: Any = answer.number ?? 0
            if let label = answer.label {
                output = answer.probabilities.map { ["label": label, "probabilities": $0] as [String: Any] } ?? label
            }
            return ["deployment_id": deployment, "request_id": id, "output": output, "latency_ms": answer.latency, "at": at]
        }
    }

    func outcomes(region: String, endpoint: String, at: String) -> [[String: Any]] {
        requests.compactMap { id in
            let actual: Any? = actualLabels[id] ?? actualNumbers[id]
            return actual.map { ["region": region, "endpoint": endpoint, "request_id": id, "actual": $0, "at": at] }
        }
    }
}

/// SplitMix64, for traffic that is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Independent computations of the scoreboard's numbers.
enum Reference {
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let rank = p * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (rank - Double(low)) * (sorted[high] - sorted[low])
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// The 0.975 quantile of Student's t by Simpson integration of the
    /// density and bisection: another method than the server's.
    static func t975(_ nu: Double) -> Double {
        func density(_ t: Double) -> Double {
            exp(lgamma((nu + 1) / 2) - lgamma(nu / 2)) / (nu * Double.pi).squareRoot() * pow(1 + t * t / nu, -(nu + 1) / 2)
        }
        func cdfAboveZero(_ x: Double) -> Double {
            let steps = 20_000
            let h = x / Double(steps)
            var sum = density(0) + density(x)
            for i in 1..<steps { sum += density(Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
            return sum * h / 3
        }
        var low = 0.0, high = 20.0
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if cdfAboveZero(middle) < 0.475 { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
