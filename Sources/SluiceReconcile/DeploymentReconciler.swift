public import Foundation
public import Logging
public import SluiceDomain

/// Keeps a deployment's instances as its spec says (DESIGN.md §5): checks
/// the image and artifact before launching, keeps exactly `replicas`
/// running instances of the current revision (rolling one at a time on a
/// new revision, replacing vanished ones), health-checks external targets,
/// and tears everything down before removing a deleted deployment.
public struct DeploymentReconciler: Reconciler {
    /// Timing and checks.
    public struct Settings: Sendable {
        /// Whether an EC2 instance must answer its health route to count as ready.
        public var instanceHealthcheck = true
        /// How often a converged deployment is looked at again (drift: a
        /// vanished instance, a failed health check).
        public var steadyInterval: Duration = .seconds(30)
        /// How often one that is converging is looked at again.
        public var progressInterval: Duration = .seconds(2)
        /// How long a deployment whose image or artifact is missing waits
        /// before it checks again.
        public var verifyInterval: Duration = .seconds(15)
        /// Failed health probes in a row that take a ready instance out of
        /// routing (one slow answer does not).
        public var probeFailuresToRemove = 3
        /// How long a launched instance has to become ready before it is
        /// replaced (a boot that failed: artifact refused, image pull or
        /// model server start failed).
        public var bootDeadline: Duration = .seconds(15 * 60)
        /// How long a deployment whose launch the cloud refused (an unknown
        /// instance type, a quota) waits before it tries again; a change
        /// to the deployment tries at once.
        public var refusedInterval: Duration = .seconds(300)

        /// The defaults.
        public init() {}
    }

    /// Unfenced as built; each claimed pass runs on a copy fenced by its lease.
    private(set) var store: any DeploymentWorkStore
    let fleet: (any InstanceFleet)?
    let verifier: (any ArtifactVerifier)?
    let probe: any ModelServerProbe
    let snapshots: FleetSnapshots?
    let verified: VerifiedArtifacts
    let probeFailures: ProbeFailures
    let settings: Settings
    let logger: Logger
    let now: @Sendable () -> Date

    /// A reconciler; without `fleet` and `verifier` (no AWS configured) EC2
    /// deployments stay `pending` with a condition saying why.
    public init(
        store: any DeploymentWorkStore, fleet: (any InstanceFleet)?, verifier: (any ArtifactVerifier)?,
        probe: any ModelServerProbe, snapshots: FleetSnapshots? = nil, verified: VerifiedArtifacts = VerifiedArtifacts(),
        settings: Settings = Settings(), logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.snapshots = snapshots
        self.verified = verified
        self.store = store
        self.fleet = fleet
        self.verifier = verifier
        self.probe = probe
        self.settings = settings
        self.probeFailures = ProbeFailures(threshold: settings.probeFailuresToRemove)
        self.logger = logger
        self.now = now
    }

    public var kind: WorkKind { .deployment }

    /// A pass whose every write (status, events, launch serial, deletion)
    /// commits only while `item`'s lease holds the deployment, and which
    /// checks the lease again before each change to the cloud (terminate,
    /// retag; a launch follows its fenced launch serial): a pass that ran
    /// past its lease (a stalled renewal, a paused process) cannot
    /// overwrite what the next holder recorded (decision 114).
    public func reconcile(_ item: WorkItem) async throws -> ReconcileOutcome {
        var pass = self
        pass.store = store.fenced(by: item)
        return try await pass.reconcile(key: item.key)
    }

    public func reconcile(key: String) async throws -> ReconcileOutcome {
        guard let id = UUID(uuidString: key) else { throw ReconcileError.permanent("'\(key)' is not a deployment id") }
        guard let work = try await store.work(id: id) else { return .done }
        if work.deployment.deletionRequestedAt != nil { return try await tearDown(work) }
        switch work.deployment.spec.target {
        case .external(let urls): return try await observeExternal(work, urls: urls)
        case .ec2: return try await reconcileFleet(work)
        }
    }

    // MARK: - Deletion

    func tearDown(_ work: DeploymentWork) async throws -> ReconcileOutcome {
        let deployment = work.deployment
        if case .ec2 = deployment.spec.target {
            guard let fleet else {
                var status = deployment.status
                setCondition(&status, "CloudReachable", false, "AWSNotConfigured", "AWS is not configured; instances cannot be terminated")
                try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: [])
                return .requeue(after: settings.steadyInterval)
            }
            let remaining = try await cloud(deployment) { try await fleet.instances(deployment: deployment.id, region: deployment.spec.region) }
            // The listing filters by tag, and EC2's listings are eventually
            // consistent: an instance launched by the pass just before may
            // not be listed yet. The instances an earlier pass recorded as
            // its own and that teardown has not terminated are terminated
            // too (one already gone counts as terminated).
            let listed = Set(remaining.map(\.id))
            let unlisted = deployment.status.instances.filter { !listed.contains($0.id) && $0.state != "shutting-down" && $0.state != "terminated" }
            if !remaining.isEmpty || !unlisted.isEmpty {
                let ids = remaining.map(\.id) + unlisted.map(\.id)
                try await store.checkLease(id: deployment.id)
                try await cloud(deployment) { try await fleet.terminate(ids, region: deployment.spec.region) }
                var status = deployment.status
                status.phase = .deleting
                status.instances = remaining.map {
                    DeploymentInstance(id: $0.id, state: "shutting-down", revision: $0.revision ?? 0, address: nil)
                } + unlisted.map { DeploymentInstance(id: $0.id, state: "shutting-down", revision: $0.revision, address: nil) }
                try await store.record(
                    id: deployment.id, status: status, observedGeneration: deployment.generation,
                    events: [DeploymentEvent(action: "deployment.instances_terminated", detail: ["instances": ids.joined(separator: ","), "reason": "deleted"])])
                return .requeue(after: settings.progressInterval)
            }
        }
        try await store.finishDeletion(id: deployment.id)
        logger.notice("deployment deleted", metadata: ["deployment_id": "\(deployment.id.uuidString.lowercased())"])
        return .done
    }

    // MARK: - External targets

    func observeExternal(_ work: DeploymentWork, urls: [String]) async throws -> ReconcileOutcome {
        let deployment = work.deployment
        let runtime = deployment.spec.runtime
        let probed = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, url) in urls.enumerated() {
                group.addTask { (index, await probe.isReady(baseURL: url, runtime: runtime)) }
            }
            var ready = Array(repeating: false, count: urls.count)
            for await (index, ok) in group { ready[index] = ok }
            return ready
        }
        let counted = await probeFailures.ready(
            of: deployment.id, probed: zip(urls, probed).map { (id: $0, healthy: $1) }, wasReady: Self.wasReady(deployment))
        let results = urls.map { counted.contains($0) }
        var status = deployment.status
        status.instances = zip(urls, results).map { url, ok in
            DeploymentInstance(id: url, state: ok ? "running" : "unreachable", revision: deployment.revision, address: url)
        }
        let healthy = results.filter { $0 }.count
        if healthy == urls.count {
            status.phase = .ready
            setCondition(&status, "Ready", true, "HealthChecksPassing", "all \(urls.count) URLs answer their health route")
        } else {
            status.phase = .degraded
            setCondition(
                &status, "Ready", false, healthy == 0 ? "Unreachable" : "SomeUnhealthy",
                "\(healthy) of \(urls.count) URLs answer GET \(runtime.healthPath)")
        }
        try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: [])
        return .requeue(after: healthy == urls.count ? settings.steadyInterval : settings.progressInterval)
    }

    // MARK: - EC2

    func reconcileFleet(_ work: DeploymentWork) async throws -> ReconcileOutcome {
        let deployment = work.deployment
        let region = deployment.spec.region
        var status = deployment.status
        guard let fleet, let verifier else {
            setCondition(&status, "CloudReachable", false, "AWSNotConfigured", "AWS is not configured (no AWS_* variables); nothing is launched")
            try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: [])
            return .requeue(after: settings.steadyInterval)
        }
        var events: [DeploymentEvent] = []
        let replicas = deployment.spec.replicas ?? 1
        let wasReady = Self.wasReady(deployment)
        // A shared snapshot is enough to see that nothing needs doing; any
        // action is decided again on a fresh look at this deployment.
        var observed: [FleetInstance]
        var fresh = snapshots == nil
        if work.launchSerial == 0 {
            // Every launch commits a serial first: none taken, none launched.
            observed = []
            fresh = true
        } else if let snapshots {
            observed = try await cloud(deployment) { try await snapshots.instances(deployment: deployment.id, region: region, fleet: fleet) }
        } else {
            observed = try await cloud(deployment) { try await fleet.instances(deployment: deployment.id, region: region) }
        }
        let bootedBy = now().addingTimeInterval(-Double(settings.bootDeadline.components.seconds))
        // Replaced: an instance never ready 15 minutes after its launch (a
        // failed boot), and one that served but has not been ready for 15
        // minutes (a model server dead for good, while EC2 says running).
        let recorded = Dictionary(deployment.status.instances.map { ($0.id, $0) }) { first, _ in first }
        func overdue(_ instances: [FleetInstance]) -> Set<String> {
            Set(instances.filter { instance in
                guard instance.state == "pending" || instance.state == "running" else { return false }
                let before = recorded[instance.id]
                if before?.readySince != nil || before?.state == "running" {
                    return (before?.unreadySince).map { $0 < bootedBy } ?? false
                }
                return instance.launchedAt.map { $0 < bootedBy } ?? false
            }.map(\.id))
        }
        var ready = await readyInstances(observed, runtime: deployment.spec.runtime, wasReady: wasReady, owner: deployment.id)
        var plan = FleetPlan.make(replicas: replicas, revision: deployment.revision, observed: observed, ready: ready, stuck: overdue(observed))
        if !fresh && Self.needsAction(observed, plan: plan, mode: deployment.spec.mode) {
            observed = try await cloud(deployment) { try await fleet.instances(deployment: deployment.id, region: region) }
            ready = await readyInstances(observed, runtime: deployment.spec.runtime, wasReady: wasReady, owner: deployment.id)
            plan = FleetPlan.make(replicas: replicas, revision: deployment.revision, observed: observed, ready: ready, stuck: overdue(observed))
            fresh = true
        }
        defer {
            if fresh, let snapshots {
                let seen = observed
                Task { await snapshots.update(deployment: deployment.id, region: region, instances: seen) }
            }
        }

        // A stopped instance serves nobody: replace it.
        let stopped = observed.filter { $0.state == "stopping" || $0.state == "stopped" }.map(\.id)
        if !stopped.isEmpty {
            try await store.checkLease(id: deployment.id)
            try await cloud(deployment) { try await fleet.terminate(stopped, region: region) }
            events.append(DeploymentEvent(action: "deployment.instances_terminated", detail: ["instances": stopped.joined(separator: ","), "reason": "stopped"]))
            observed.removeAll { stopped.contains($0.id) }
            plan = FleetPlan.make(replicas: replicas, revision: deployment.revision, observed: observed, ready: ready, stuck: overdue(observed))
        }
        // Promotion and rollback change the mode: the tags follow.
        let mistagged = observed.filter { $0.mode != deployment.spec.mode.rawValue }.map(\.id)
        if !mistagged.isEmpty {
            try await store.checkLease(id: deployment.id)
            try await cloud(deployment, events: events) { try await fleet.tagMode(mistagged, mode: deployment.spec.mode, region: region) }
            for index in observed.indices where mistagged.contains(observed[index].id) { observed[index].mode = deployment.spec.mode.rawValue }
        }
        if !plan.terminate.isEmpty {
            try await store.checkLease(id: deployment.id)
            try await cloud(deployment, events: events) { try await fleet.terminate(plan.terminate, region: region) }
            let late = overdue(observed)
            let failedBoots = plan.terminate.filter { late.contains($0) && !ready.contains($0) }
            let others = plan.terminate.filter { !failedBoots.contains($0) }
            if !failedBoots.isEmpty {
                events.append(DeploymentEvent(
                    action: "deployment.instances_terminated",
                    detail: ["instances": failedBoots.joined(separator: ","), "reason": "not ready within the boot deadline"]))
                setCondition(
                    &status, "Booted", false, "BootDeadlineExceeded",
                    "\(failedBoots.joined(separator: ", ")) not ready for \(settings.bootDeadline.components.seconds / 60) minutes (since launch, or since it last served); replaced")
            }
            if !others.isEmpty {
                events.append(DeploymentEvent(
                    action: "deployment.instances_terminated",
                    detail: ["instances": others.joined(separator: ","), "reason": "scale or roll"]))
            }
            observed.removeAll { plan.terminate.contains($0.id) }
        }
        if plan.launch > 0 {
            if let problem = try await cloud(deployment, events: events, { try await verify(work, verifier: verifier) }) {
                setCondition(&status, "Verified", false, problem.reason, problem.message)
                status.phase = .degraded
                status.instances = instances(observed, ready: ready, previous: deployment.status.instances)
                try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: events)
                return .requeue(after: settings.verifyInterval)
            }
            setCondition(&status, "Verified", true, "ArtifactsFound", "image digest found in ECR and artifact found in S3")
            let launched: [FleetInstance]
            do {
                launched = try await launch(work, count: plan.launch, fleet: fleet, events: events)
            } catch let refused as LaunchRefused {
                // Retrying the same launch meets the same refusal: say why,
                // and look again after a while (a quota raised, a spec changed).
                setCondition(&status, "Launched", false, refused.code, refused.message)
                removeCondition(&status, "CloudReachable")
                status.phase = .degraded
                status.instances = instances(observed, ready: ready, previous: deployment.status.instances)
                if deployment.status.phase != .degraded {
                    events.append(DeploymentEvent(action: "deployment.phase_changed", detail: [
                        "from": deployment.status.phase.rawValue, "to": status.phase.rawValue,
                    ]))
                }
                try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: events)
                return .requeue(after: settings.refusedInterval)
            }
            events.append(DeploymentEvent(
                action: "deployment.instances_launched",
                detail: ["instances": launched.map(\.id).joined(separator: ","), "revision": "\(deployment.revision)"]))
            observed += launched
        }
        // Nothing left to launch (a launch went through, or fewer replicas
        // are wanted now): an earlier refusal no longer describes it.
        removeCondition(&status, "Launched")

        status.instances = instances(observed, ready: ready, previous: deployment.status.instances)
        let readyCurrent = observed.filter { $0.revision == deployment.revision && ready.contains($0.id) }.count
        let converged = readyCurrent == replicas && observed.count == replicas && plan.launch == 0 && plan.terminate.isEmpty
        removeCondition(&status, "CloudReachable")
        if converged {
            status.phase = .ready
            removeCondition(&status, "Booted")
            setCondition(&status, "Ready", true, "ReplicasReady", "\(replicas) of \(replicas) instances of revision \(deployment.revision) ready")
        } else {
            status.phase = .progressing
            let rolling = observed.contains { $0.revision != deployment.revision }
            setCondition(
                &status, "Ready", false, rolling ? "RollingUpdate" : "InstancesStarting",
                "\(readyCurrent) of \(replicas) instances of revision \(deployment.revision) ready")
        }
        if status.phase != deployment.status.phase {
            events.append(DeploymentEvent(action: "deployment.phase_changed", detail: [
                "from": deployment.status.phase.rawValue, "to": status.phase.rawValue,
            ]))
        }
        try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: events)
        return .requeue(after: converged ? settings.steadyInterval : settings.progressInterval)
    }

    /// Whether what was observed calls for a launch, a termination or a tag.
    static func needsAction(_ observed: [FleetInstance], plan: FleetPlan, mode: DeploymentMode) -> Bool {
        plan.launch > 0 || !plan.terminate.isEmpty
            || observed.contains { $0.state == "stopping" || $0.state == "stopped" || $0.mode != mode.rawValue }
    }

    /// The running instances that serve: all of them without health
    /// checks; with them, those whose model server answers its health
    /// route, and one that was ready (`wasReady`) until
    /// ``Settings/probeFailuresToRemove`` probes in a row have failed.
    func readyInstances(
        _ observed: [FleetInstance], runtime: DeploymentRuntime, wasReady: Set<String>, owner: UUID
    ) async -> Set<String> {
        let running = observed.filter { $0.state == "running" }
        guard settings.instanceHealthcheck else { return Set(running.map(\.id)) }
        let probed = await withTaskGroup(of: (id: String, healthy: Bool).self) { group in
            for instance in running {
                guard let address = Self.address(instance) else { continue }
                group.addTask { (instance.id, await probe.isReady(baseURL: address, runtime: runtime)) }
            }
            var results: [(id: String, healthy: Bool)] = []
            for await result in group { results.append(result) }
            return results
        }
        return await probeFailures.ready(of: owner, probed: probed, wasReady: wasReady)
    }

    /// The instances (or URLs) the deployment's status records as ready.
    static func wasReady(_ deployment: Deployment) -> Set<String> {
        Set(deployment.status.instances.filter { $0.state == "running" }.map(\.id))
    }

    /// Image and artifact still exist; nil when both do.
    func verify(_ work: DeploymentWork, verifier: any ArtifactVerifier) async throws -> (reason: String, message: String)? {
        guard let reference = ImageReference(work.image) else {
            return ("ImageNotFound", "\(work.image) is not an ECR image reference")
        }
        guard let digest = work.imageDigest else {
            return ("ImageNotFound", "model version has no image digest recorded")
        }
        let imageKey = "image \(reference.repository)@\(digest)"
        if await !verified.contains(imageKey) {
            guard try await verifier.imageExists(repository: reference.repository, digest: digest) else {
                return ("ImageNotFound", "\(reference.repository)@\(digest) was not found in ECR")
            }
            await verified.insert(imageKey)
        }
        guard let uri = S3URI(work.artifactURI) else { return ("ArtifactNotFound", "\(work.artifactURI) is not an S3 URI") }
        let artifactKey = "artifact \(work.artifactURI) \(work.artifactETag ?? "")"
        if await !verified.contains(artifactKey) {
            let found: ArtifactInfo
            do {
                found = try await verifier.inspectArtifact(uri)
            } catch DomainError.invalid {
                return ("ArtifactNotFound", "\(work.artifactURI) was not found in S3")
            }
            // A version is immutable: other bytes under its key are not it.
            if let registered = work.artifactETag, found.etag != registered {
                return ("ArtifactChanged", "\(work.artifactURI) was replaced after the version was registered (ETag \(found.etag ?? "none"), registered \(registered))")
            }
            await verified.insert(artifactKey)
        }
        return nil
    }

    /// Launches `count` instances under a fresh serial: the serial is
    /// committed first, so the `ClientToken` is never reused and a retried
    /// call never launches twice.
    func launch(_ work: DeploymentWork, count: Int, fleet: any InstanceFleet, events: [DeploymentEvent] = []) async throws -> [FleetInstance] {
        let deployment = work.deployment
        let serial = try await store.nextLaunchSerial(id: deployment.id)
        let reference = ImageReference(work.image)
        let script = ModelServerBoot.script(
            model: deployment.spec.model, runtime: deployment.spec.runtime, repository: reference?.repository ?? work.image,
            digest: work.imageDigest ?? "", artifactURI: work.artifactURI, artifactETag: work.artifactETag, region: deployment.spec.region)
        let launch = InstanceLaunch(
            deployment: deployment.id, name: deployment.name, region: deployment.spec.region, revision: deployment.revision,
            mode: deployment.spec.mode, instanceType: deployment.spec.instanceType ?? "m5.large", count: count,
            clientToken: "sluice-\(deployment.id.uuidString.lowercased())-\(serial)", userData: script)
        let launched = try await cloud(deployment, events: events) { try await fleet.launch(launch) }
        logger.notice("instances launched", metadata: [
            "deployment_id": "\(deployment.id.uuidString.lowercased())", "count": "\(launched.count)", "revision": "\(deployment.revision)",
        ])
        return launched
    }

    /// Runs a cloud call; a failure is recorded as a condition (so the
    /// deployment says why it is stuck) and rethrown for a retry with backoff.
    /// `events` are those of actions this pass already took (instances
    /// terminated): recorded with the failure, not lost with it.
    func cloud<T: Sendable>(_ deployment: Deployment, events: [DeploymentEvent] = [], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refused as LaunchRefused {
            // Not the cloud being unreachable: the caller says why.
            throw refused
        } catch {
            var status = deployment.status
            setCondition(&status, "CloudReachable", false, "CloudError", Self.describe(error))
            if status.phase == .pending { status.phase = .progressing }
            do {
                try await store.record(id: deployment.id, status: status, observedGeneration: deployment.generation, events: events)
            } catch let lost as LeaseLost {
                // Not the cloud's failure: the pass has no lease to fail with.
                throw lost
            } catch {}
            throw error
        }
    }

    func instances(_ observed: [FleetInstance], ready: Set<String>, previous: [DeploymentInstance]) -> [DeploymentInstance] {
        let before = Dictionary(previous.map { ($0.id, $0) }) { first, _ in first }
        return observed.sorted { $0.id < $1.id }.map { instance in
            let isReady = ready.contains(instance.id)
            let state = instance.state == "running" ? (isReady ? "running" : "starting") : instance.state
            let readySince = before[instance.id]?.readySince ?? (isReady ? now() : nil)
            // A served instance's unready time runs from the first pass that
            // found it unready, and ends when it answers again.
            let unreadySince = isReady || readySince == nil ? nil : (before[instance.id]?.unreadySince ?? now())
            return DeploymentInstance(
                id: instance.id, state: state, revision: instance.revision ?? 0, address: Self.address(instance),
                readySince: readySince, unreadySince: unreadySince)
        }
    }

    static func address(_ instance: FleetInstance) -> String? {
        instance.privateAddress.map { "http://\($0):\(ModelServerBoot.port)" }
    }

    static func describe(_ error: any Error) -> String {
        String(describing: error).prefix(300).description
    }

    /// Sets a condition through `[Condition].set`: its transition time moves
    /// only when its status does.
    func setCondition(_ status: inout DeploymentStatus, _ type: String, _ value: Bool, _ reason: String, _ message: String) {
        status.conditions.set(Condition(type: type, status: value ? "True" : "False", reason: reason, message: message, lastTransitionTime: now()))
    }

    func removeCondition(_ status: inout DeploymentStatus, _ type: String) {
        status.conditions.removeAll { $0.type == type }
    }
}
