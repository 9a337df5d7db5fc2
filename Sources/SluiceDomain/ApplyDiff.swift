/// Which fields of a resource a document changes, in `snake_case` as the
/// API spells them; empty means `unchanged`.
public enum ApplyDiff {
    /// Changed fields of a dataset.
    public static func dataset(_ old: DatasetSpec, _ new: DatasetSpec) -> [String] {
        var changes: [String] = []
        if old.client != new.client { changes.append("client") }
        if old.sourceURI != new.sourceURI { changes.append("source_uri") }
        if old.destinationURI != new.destinationURI { changes.append("destination_uri") }
        if old.format != new.format { changes.append("format") }
        if old.fundColumn != new.fundColumn { changes.append("fund_column") }
        if old.gates != new.gates { changes.append("gates") }
        return changes
    }

    /// Changed fields of an experiment.
    public static func experiment(_ old: ExperimentSpec, _ new: ExperimentSpec) -> [String] {
        var changes: [String] = []
        if old.kubeflow != new.kubeflow { changes.append("kubeflow") }
        if old.code != new.code { changes.append("code") }
        if old.image != new.image { changes.append("image") }
        if old.dataset != new.dataset { changes.append("dataset") }
        if old.parameters != new.parameters { changes.append("parameters") }
        if old.trigger != new.trigger { changes.append("trigger") }
        return changes
    }

    /// Fields of a deployment that `PATCH` cannot change and `new` changes.
    public static func deploymentImmutable(_ old: DeploymentSpec, _ new: DeploymentSpec) -> [String] {
        var changes: [String] = []
        if old.region != new.region { changes.append("region") }
        if old.endpoint != new.endpoint { changes.append("endpoint") }
        if old.model != new.model { changes.append("model") }
        if old.mode != new.mode { changes.append("mode") }
        if old.runtime != new.runtime { changes.append("runtime") }
        if old.target != new.target { changes.append("target") }
        return changes
    }

    /// Changed rules of a promotion policy (its time stamps aside).
    public static func policy(_ old: PromotionPolicy, _ new: PromotionPolicy) -> [String] {
        var changes: [String] = []
        if old.minOutcomes != new.minOutcomes { changes.append("min_outcomes") }
        if old.minDurationSeconds != new.minDurationSeconds { changes.append("min_duration") }
        if old.metric != new.metric { changes.append("metric") }
        if old.minImprovement != new.minImprovement { changes.append("min_improvement") }
        if old.requireSignificance != new.requireSignificance { changes.append("require_significance") }
        if old.requiredApprovals != new.requiredApprovals { changes.append("required_approvals") }
        if old.autoPromote != new.autoPromote { changes.append("auto_promote") }
        if old.retentionDays != new.retentionDays { changes.append("retention_days") }
        return changes
    }
}
