import Foundation
@testable import SluiceDomain
import Testing

/// The scoring math against published values and by simulation.
@Suite struct StatisticsTests {
    @Test func studentT_matchesTables() {
        // Quantiles from standard t tables (to the digits tables give).
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1) - 12.706204736) < 1e-6)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 10) - 2.228138852) < 1e-8)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1000) - 1.962339081) < 1e-8)
        #expect(abs(StudentT.cdf(0, degreesOfFreedom: 5) - 0.5) < 1e-15)
        #expect(abs(StudentT.cdf(2.015048373, degreesOfFreedom: 5) - 0.95) < 1e-8)
    }

    @Test func mcNemarExact_matchesBinomialSums() {
        // b = 2, c = 10: 2·P(X ≤ 2), X ~ Bin(12, ½) = 2·(1 + 12 + 66)/4096.
        #expect(abs(Binomial.mcNemarExactPValue(b: 2, c: 10) - 2 * 79 / 4096) < 1e-12)
        #expect(Binomial.mcNemarExactPValue(b: 5, c: 5) == 1)
        #expect(Binomial.mcNemarExactPValue(b: 0, c: 0) == 1)
        // Large counts stay finite and symmetric.
        let p = Binomial.mcNemarExactPValue(b: 4_800, c: 5_200)
        #expect(abs(p - Binomial.mcNemarExactPValue(b: 5_200, c: 4_800)) < 1e-12)
        #expect(p > 0 && p < 0.01)
    }

    @Test func incompleteBeta_matchesClosedForms() {
        // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b.
        for x in stride(from: 0.05, to: 1.0, by: 0.1) {
            #expect(abs(IncompleteBeta.regularized(a: 1, b: 1, x: x) - x) < 1e-13)
            #expect(abs(IncompleteBeta.regularized(a: 3.5, b: 1, x: x) - pow(x, 3.5)) < 1e-13)
            #expect(abs(IncompleteBeta.regularized(a: 1, b: 7, x: x) - (1 - pow(1 - x, 7))) < 1e-13)
        }
    }

    /// Over many seeds, the 95% interval of a paired difference covers the
    /// true difference about 95% of the time, for accuracy and for MAE.
    @Test(arguments: [ScoreMetric.accuracy, ScoreMetric.mae])
    func pairedInterval_coversTheTrueDifferenceAtTheStatedRate(metric: ScoreMetric) {
        var random = Seeded(seed: 42)
        let runs = 2_000
        var covered = 0
        // Accuracy: live right with 0.70, challenger with 0.75 (independent) → true difference 0.05.
        // MAE: |error| ~ Exp with means 1.0 (live) and 0.9 → true difference -0.1.
        let truth = metric == .accuracy ? 0.05 : -0.1
        for _ in 0..<runs {
            let n = 400
            var sumC = 0.0, sumL = 0.0, sumD = 0.0, sumD2 = 0.0
            var b = 0, c = 0
            for _ in 0..<n {
                let (challenger, live): (Double, Double)
                if metric == .accuracy {
                    challenger = random.uniform() < 0.75 ? 1 : 0
                    live = random.uniform() < 0.70 ? 1 : 0
                    if challenger == 1 && live == 0 { b += 1 }
                    if challenger == 0 && live == 1 { c += 1 }
                } else {
                    challenger = -0.9 * log(1 - random.uniform())
                    live = -1.0 * log(1 - random.uniform())
                }
                sumC += challenger
                sumL += live
                sumD += challenger - live
                sumD2 += (challenger - live) * (challenger - live)
            }
            let comparison = PairedComparison.compute(
                metric: metric, n: n, sumChallenger: sumC, sumLive: sumL, sumD: sumD, sumD2: sumD2,
                discordant: metric == .accuracy ? (b, c) : nil, agreements: 0)
            if let comparison, comparison.ciLow <= truth && truth <= comparison.ciHigh { covered += 1 }
        }
        let rate = Double(covered) / Double(runs)
        // 95% ± 3 standard errors of a proportion over 2,000 runs.
        #expect(rate > 0.935 && rate < 0.965, "coverage \(rate)")
    }

    @Test func policy_countsOnlyOthersApprovals_andNamesEachFailedRule() {
        let policy = PromotionPolicy(region: "eu-west-1", endpoint: "e", minOutcomes: 100, minDurationSeconds: 3600,
            minImprovement: 0.01, requireSignificance: true, requiredApprovals: 2)
        let weak = PairedComparison(metric: .accuracy, pairedRequests: 50, challenger: 0.7, live: 0.7, difference: 0,
            ciLow: -0.1, ciHigh: 0.1, pValue: 1, method: "x", agreementRate: 1)
        let checks = policy.evaluate(task: .classification, liveDeploymentID: UUID(), comparison: weak, scoredSeconds: 60,
            approvers: ["alice", "bob"], requester: "alice")
        #expect(checks.filter { !$0.passed }.map(\.rule) == ["min_outcomes", "min_duration", "min_improvement", "require_significance", "approvals"])
        #expect(PromotionPolicy.parseDuration("7d") == 604_800)
        #expect(PromotionPolicy.parseDuration("7w") == nil)
        #expect(PromotionPolicy.formatDuration(5400) == "90m")
    }
}

/// SplitMix64: the same numbers on every machine.
struct Seeded {
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
