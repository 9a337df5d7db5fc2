import Foundation
import SluiceDomain
import SluiceReconcile
import Testing

/// The deployment reconciler's decisions, case by case.
@Suite struct FleetPlanTests {
    static func instance(_ id: String, revision: Int, at seconds: Double = 0) -> FleetInstance {
        FleetInstance(id: id, state: "running", revision: revision, mode: "live", privateAddress: "10.0.0.1", launchedAt: Date(timeIntervalSince1970: seconds))
    }

    @Test func fromNothing_launchesEveryReplicaAtOnce() {
        #expect(FleetPlan.make(replicas: 3, revision: 1, observed: [], ready: []) == FleetPlan(terminate: [], launch: 3))
    }

    @Test func converged_doesNothing() {
        let observed = [Self.instance("a", revision: 1), Self.instance("b", revision: 1)]
        #expect(FleetPlan.make(replicas: 2, revision: 1, observed: observed, ready: ["a", "b"]) == FleetPlan(terminate: [], launch: 0))
    }

    @Test func scaleDown_dropsNotReadyFirst_thenTheNewest() {
        let observed = [Self.instance("old", revision: 1, at: 1), Self.instance("new", revision: 1, at: 3), Self.instance("sick", revision: 1, at: 2)]
        #expect(FleetPlan.make(replicas: 2, revision: 1, observed: observed, ready: ["old", "new"]).terminate == ["sick"])
        #expect(FleetPlan.make(replicas: 1, revision: 1, observed: observed, ready: ["old", "new"]).terminate == ["sick", "new"])
        #expect(FleetPlan.make(replicas: 0, revision: 1, observed: observed, ready: []).terminate.count == 3)
    }

    /// A boot that failed (never ready by its deadline) is replaced, and
    /// does not block a roll: before, it counted as an instance for ever.
    @Test func anInstanceNeverReadyByItsDeadline_isReplaced_evenMidRoll() {
        let observed = [Self.instance("ok", revision: 2), Self.instance("failed", revision: 2)]
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: observed, ready: ["ok"]) == FleetPlan(terminate: [], launch: 0))
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: observed, ready: ["ok"], stuck: ["failed"])
            == FleetPlan(terminate: ["failed"], launch: 1))
        // A ready instance past the deadline is fine.
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: observed, ready: ["ok", "failed"], stuck: ["ok", "failed"])
            == FleetPlan(terminate: [], launch: 0))
        // Rolling from revision 1: the stuck new instance no longer holds the roll.
        let rolling = [Self.instance("v1", revision: 1), Self.instance("v2-failed", revision: 2)]
        #expect(FleetPlan.make(replicas: 1, revision: 2, observed: rolling, ready: ["v1"]).launch == 0)
        #expect(FleetPlan.make(replicas: 1, revision: 2, observed: rolling, ready: ["v1"], stuck: ["v2-failed"])
            == FleetPlan(terminate: ["v2-failed"], launch: 1))
    }

    @Test func aVanishedInstance_isReplaced() {
        #expect(FleetPlan.make(replicas: 2, revision: 1, observed: [Self.instance("a", revision: 1)], ready: ["a"]).launch == 1)
    }

    @Test func aNewRevision_rollsOneAtATime() {
        let old = [Self.instance("o1", revision: 1), Self.instance("o2", revision: 1)]
        // Step 1: one new instance; the old ones keep serving.
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: old, ready: ["o1", "o2"]) == FleetPlan(terminate: [], launch: 1))
        // While it starts, nothing more happens.
        let starting = old + [Self.instance("n1", revision: 2)]
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: starting, ready: ["o1", "o2"]) == FleetPlan(terminate: [], launch: 0))
        // Once it is ready, one old instance goes and the next new one starts.
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: starting, ready: ["o1", "o2", "n1"]) == FleetPlan(terminate: ["o2"], launch: 1))
        // Both new ones ready: the last old one goes.
        let rolled = [Self.instance("o1", revision: 1), Self.instance("n1", revision: 2), Self.instance("n2", revision: 2)]
        #expect(FleetPlan.make(replicas: 2, revision: 2, observed: rolled, ready: ["o1", "n1", "n2"]) == FleetPlan(terminate: ["o1"], launch: 0))
    }

    @Test func oldInstancesThatDoNotServe_goFirst() {
        let old = [Self.instance("o1", revision: 1), Self.instance("o2", revision: 1)]
        let plan = FleetPlan.make(replicas: 1, revision: 2, observed: old, ready: ["o2"])
        #expect(plan.terminate == ["o1"])
        #expect(plan.launch == 1)
    }

    @Test func backoff_doublesUpToTheCap_withJitterInTheUpperHalf() {
        var settings = WorkerSettings()
        settings.baseBackoff = .seconds(1)
        settings.maxBackoff = .seconds(60)
        #expect(settings.backoff(attempts: 0, random: 1) == .seconds(1))
        #expect(settings.backoff(attempts: 0, random: 0) == .milliseconds(500))
        #expect(settings.backoff(attempts: 3, random: 1) == .seconds(8))
        #expect(settings.backoff(attempts: 20, random: 1) == .seconds(60))
        #expect(settings.backoff(attempts: 1000, random: 0) == .seconds(30))
    }
}
