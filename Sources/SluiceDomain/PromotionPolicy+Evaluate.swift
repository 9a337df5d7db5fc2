public import Foundation

extension PromotionPolicy {
    /// Checks every rule for a challenger of `task`, given its comparison
    /// with live (`nil` when it has none), how long it has been scored and
    /// who approved it (the requester's own approval does not count).
    public func evaluate(
        task: ModelTask, liveDeploymentID: UUID?, comparison: PairedComparison?, scoredSeconds: Int,
        approvers: [String], requester: String
    ) -> [PromotionCheck] {
        var checks: [PromotionCheck] = []
        let metric = scoreMetric(for: task)
        let paired = comparison?.pairedRequests ?? 0
        if liveDeploymentID != nil {
            checks.append(PromotionCheck(
                rule: "min_outcomes", passed: paired >= minOutcomes,
                detail: "\(paired) paired requests with outcomes; the policy needs \(minOutcomes)"))
        }
        checks.append(PromotionCheck(
            rule: "min_duration", passed: scoredSeconds >= minDurationSeconds,
            detail: "scored for \(Self.formatDuration(max(0, scoredSeconds))); the policy needs \(Self.formatDuration(minDurationSeconds))"))
        if liveDeploymentID != nil {
            let improvement = comparison?.improvement ?? 0
            checks.append(PromotionCheck(
                rule: "min_improvement", passed: comparison != nil && improvement >= minImprovement,
                detail: "\(metric.rawValue) improves by \(improvement) over live; the policy needs \(minImprovement)"))
            if requireSignificance {
                let p = comparison?.pValue ?? 1
                checks.append(PromotionCheck(
                    rule: "require_significance", passed: comparison != nil && p < 0.05 && improvement > 0,
                    detail: "p = \(p) for \(metric.rawValue); the policy needs a significant improvement (p < 0.05)"))
            }
        }
        let counted = Set(approvers.filter { $0 != requester })
        checks.append(PromotionCheck(
            rule: "approvals", passed: counted.count >= requiredApprovals,
            detail: "\(counted.count) approvals from others than \(requester); the policy needs \(requiredApprovals)"))
        return checks
    }
}
