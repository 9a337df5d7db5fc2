extension Array where Element == Condition {
    /// Puts `condition` in place of the one of its type. As in Kubernetes,
    /// the transition time moves only when the status does, so a condition
    /// rewritten on every poll still tells since when it holds.
    public mutating func set(_ condition: Condition) {
        guard let index = firstIndex(where: { $0.type == condition.type }) else {
            append(condition)
            return
        }
        var updated = condition
        if self[index].status == condition.status { updated.lastTransitionTime = self[index].lastTransitionTime }
        self[index] = updated
    }

    /// The condition of `type`, if any.
    public subscript(type type: String) -> Condition? { first { $0.type == type } }
}
