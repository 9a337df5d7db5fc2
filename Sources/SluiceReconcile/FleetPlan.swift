import Foundation
public import SluiceDomain

/// The next step for a deployment's instances, decided from what was
/// observed (pure, so every case is a unit test). Rules:
/// - instances of an old revision are replaced one at a time: one new
///   instance at a time is launched (surge of one), and an old one is
///   terminated only when a new one is ready to take its place;
/// - without old instances, every missing instance launches at once;
/// - extras of the current revision go first when they are not ready,
///   then the newest;
/// - an instance of the current revision that is `stuck` (not ready by its
///   boot deadline, or unready that long after it served) is terminated and
///   replaced: it would otherwise count as an instance for ever, and block
///   a roll.
public struct FleetPlan: Sendable, Equatable {
    /// Instances to terminate.
    public var terminate: [String]
    /// How many current-revision instances to launch.
    public var launch: Int

    /// The plan for `replicas` instances of `revision`. `ready` says which
    /// observed instances serve (running and, when checked, healthy).
    public static func make(
        replicas: Int, revision: Int, observed: [FleetInstance], ready: Set<String>, stuck: Set<String> = []
    ) -> FleetPlan {
        let failed = observed.filter { $0.revision == revision && stuck.contains($0.id) && !ready.contains($0.id) }.map(\.id)
        let current = observed.filter { $0.revision == revision && !failed.contains($0.id) }
        let old = observed.filter { $0.revision != revision }
        var terminate: [String] = failed

        // Extras of the current revision: not-ready first, then newest.
        if current.count > replicas {
            let ordered = current.sorted { lhs, rhs in
                let (lhsReady, rhsReady) = (ready.contains(lhs.id), ready.contains(rhs.id))
                if lhsReady != rhsReady { return !lhsReady }
                return (lhs.launchedAt ?? .distantPast, lhs.id) > (rhs.launchedAt ?? .distantPast, rhs.id)
            }
            terminate += ordered.prefix(current.count - replicas).map(\.id)
        }
        let kept = current.filter { !terminate.contains($0.id) }
        let readyCurrent = kept.filter { ready.contains($0.id) }.count

        // Old instances stay only while they still stand in for missing
        // ready new ones; the not-ready ones go first.
        let oldToKeep = max(0, replicas - readyCurrent)
        let oldOrdered = old.sorted { lhs, rhs in
            let (lhsReady, rhsReady) = (ready.contains(lhs.id), ready.contains(rhs.id))
            if lhsReady != rhsReady { return lhsReady }
            return lhs.id < rhs.id
        }
        let oldKept = Array(oldOrdered.prefix(oldToKeep))
        terminate += oldOrdered.dropFirst(oldToKeep).map(\.id)

        let missing = max(0, replicas - kept.count)
        let launch: Int
        if oldKept.isEmpty {
            launch = missing
        } else {
            // Rolling: one new instance at a time.
            launch = kept.count == readyCurrent ? min(missing, 1) : 0
        }
        return FleetPlan(terminate: terminate, launch: launch)
    }

    /// A plan.
    public init(terminate: [String], launch: Int) {
        self.terminate = terminate
        self.launch = launch
    }
}
