import Foundation
import SluiceDomain

/// A recent listing of every deployment's instances per region, shared by
/// the reconciles of one process: watching a thousand converged deployments
/// costs one `DescribeInstances` per region and `maxAge`, not one each.
///
/// A snapshot is only ever used to conclude that nothing needs doing. When
/// it suggests a launch or a termination, the reconciler asks the fleet
/// afresh before acting (another replica may have acted since the snapshot
/// was taken), so a stale snapshot costs a call, never an extra instance.
public actor FleetSnapshots {
    struct Snapshot {
        var taken: ContinuousClock.Instant
        var byDeployment: [String: [FleetInstance]]
    }

    let maxAge: Duration
    var snapshots: [String: Snapshot] = [:]
    var refreshing: [String: Task<Snapshot, any Error>] = [:]
    /// A listing that failed, answered again for `failureAge` instead of a
    /// new call from every deployment's pass (a thousand at once against a
    /// throttled or unreachable endpoint).
    var failures: [String: (at: ContinuousClock.Instant, error: any Error)] = [:]
    let failureAge: Duration = .seconds(5)

    /// Snapshots younger than `maxAge` are used.
    public init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// The deployment's instances from a snapshot of its region no older
    /// than `maxAge` (one refresh at a time per region).
    func instances(deployment: UUID, region: String, fleet: any InstanceFleet) async throws -> [FleetInstance] {
        let key = deployment.uuidString.lowercased()
        if let snapshot = snapshots[region], ContinuousClock.now - snapshot.taken < maxAge {
            return snapshot.byDeployment[key] ?? []
        }
        if let failure = failures[region], ContinuousClock.now - failure.at < failureAge { throw failure.error }
        let task: Task<Snapshot, any Error>
        if let running = refreshing[region] {
            task = running
        } else {
            // Its age counts from when the listing arrived: a listing that
            // takes longer than `maxAge` (a slow endpoint, many instances)
            // must not be stale on arrival and refreshed without pause.
            task = Task {
                let byDeployment = try await fleet.allInstances(region: region)
                return Snapshot(taken: .now, byDeployment: byDeployment)
            }
            refreshing[region] = task
        }
        do {
            let snapshot = try await task.value
            refreshing[region] = nil
            failures[region] = nil
            if (snapshots[region]?.taken).map({ $0 < snapshot.taken }) ?? true { snapshots[region] = snapshot }
            return snapshots[region]?.byDeployment[key] ?? snapshot.byDeployment[key] ?? []
        } catch {
            refreshing[region] = nil
            if !(error is CancellationError) { failures[region] = (.now, error) }
            throw error
        }
    }

    /// Records what a fresh look at one deployment found (after acting).
    func update(deployment: UUID, region: String, instances: [FleetInstance]) {
        snapshots[region]?.byDeployment[deployment.uuidString.lowercased()] = instances
    }
}
