import Foundation
public import SluiceDomain

/// Takes a run from `pending` to a terminal state (DESIGN.md §5): resolves
/// the image digest and the dataset version, submits to the pipeline
/// engine once, polls with a growing interval until the engine says the run
/// is over, and carries a cancel request to the engine. Callbacks
/// (`POST /v1/callbacks/kubeflow/{run_id}`) move the run sooner; this pass
/// then finds it terminal and stops.
///
/// Submission is idempotent across crashes: the intent (digest, dataset
/// version, callback token hash) is recorded before the engine is called,
/// and the engine run is named ``SluiceDomain/RunWork/marker``; a pass that
/// finds an intent without an engine id looks the marker up before
/// submitting again (docs/decisions.md).
public struct RunReconciler: Reconciler {
    /// Tunables; the defaults suit production.
    public struct Settings: Sendable {
        /// The first poll interval after submission. Default 5 seconds.
        public var firstPoll: Duration = .seconds(5)
        /// The longest poll interval. Default 5 minutes.
        public var maxPoll: Duration = .seconds(300)
        /// How soon a run blocked on something outside Sluice (no ready
        /// dataset version, no Kubeflow or AWS configured) is looked at again. Default 1 minute.
        public var blockedRecheck: Duration = .seconds(60)
        /// How long after a submit intent the run is only looked up by name,
        /// not submitted again, unless the create is known not to have
        /// reached Kubeflow: it may still be stored late. Default 2 minutes
        /// (four times the client's 30 s timeout; decision 89).
        public var submitSettle: Duration = .seconds(120)

        /// The defaults.
        public init() {}
    }

    public let kind = WorkKind.run
    let store: any RunWorkStore
    let runner: (any PipelineRunner)?
    let verifier: (any ArtifactVerifier)?
    let publicURL: String
    let settings: Settings
    let makeToken: @Sendable () -> String

    /// A reconciler. `runner` is `nil` when `SLUICE_KUBEFLOW_URL` is unset
    /// and `verifier` when AWS is not configured: runs then stay `pending`
    /// with a condition saying why. `publicURL` is `SLUICE_PUBLIC_URL`.
    public init(
        store: any RunWorkStore, runner: (any PipelineRunner)?, verifier: (any ArtifactVerifier)?, publicURL: String,
        settings: Settings = Settings(), makeToken: @escaping @Sendable () -> String = RunReconciler.randomToken
    ) {
        self.store = store
        self.runner = runner
        self.verifier = verifier
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.publicURL = base
        self.settings = settings
        self.makeToken = makeToken
    }

    public func reconcile(key: String) async throws -> ReconcileOutcome {
        guard let id = UUID(uuidString: key) else { throw ReconcileError.permanent("'\(key)' is not a run id") }
        guard let work = try await store.runWork(id: id), !work.run.status.isTerminal else { return .done }
        guard let runner else {
            try await block(work, "KubeflowConfigured", "NotConfigured", "SLUICE_KUBEFLOW_URL is not set; the run stays pending")
            return .requeue(after: settings.blockedRecheck)
        }
        switch work.run.status {
        case .pending: return try await submit(work, runner)
        case .submitted, .running: return try await poll(work, runner)
        case .succeeded, .failed, .canceled: return .done
        }
    }

    /// The poll interval after `polls` polls in the current state:
    /// doubling from ``Settings/firstPoll``, capped at ``Settings/maxPoll``.
    public func pollDelay(after polls: Int) -> Duration {
        let factor = 1 << min(max(polls, 0), 16)
        return min(settings.firstPoll * factor, settings.maxPoll)
    }

    // MARK: - Pending

    func submit(_ work: RunWork, _ runner: any PipelineRunner) async throws -> ReconcileOutcome {
        let run = work.run
        if let attempted = work.submitAttemptedAt {
            if let found = try await engine({ try await runner.find(marker: work.marker, pipeline: work.spec.kubeflow) }, work) {
                // A previous pass submitted and crashed before recording it (or
                // its answer was lost). A cancel asked for meanwhile is carried
                // out by the poll, which terminates the engine's run.
                try await store.recordSubmitted(id: run.id, kubeflowRunID: found.engineRunID)
                try await store.recordCondition(
                    id: run.id, condition: condition("Submitted", "True", "FoundByName", "Kubeflow run \(found.engineRunID)"), polls: 0)
                return .requeue(after: run.cancelRequested ? .zero : pollDelay(after: 0))
            }
            // Unless the last create is known not to have reached Kubeflow
            // (a refused connection, recorded after the intent), it may
            // still be stored late (a timeout, a lost answer, a pass killed
            // mid-call): until that cannot happen any more, look the run
            // up again, never resubmit.
            let submitted = run.conditions[type: "Submitted"]
            let notSent = submitted?.reason == "NotSent" && (submitted?.lastTransitionTime ?? .distantPast) >= attempted
            if !notSent {
                let wait = WorkerSettings.seconds(settings.submitSettle) - Date().timeIntervalSince(attempted)
                if wait > 0 { return .requeue(after: .milliseconds(Int64(wait * 1000) + 1)) }
            }
        }
        if run.cancelRequested {
            try await store.recordReport(id: run.id, report: RunReport(status: .canceled, reason: "canceled before submission"), actor: Self.actor)
            return .done
        }
        guard let dataset = work.readyDataset else {
            try await block(work, "DatasetReady", "NoReadyVersion", "dataset \(work.spec.dataset) has no ready version yet")
            return .requeue(after: settings.blockedRecheck)
        }
        guard let verifier else {
            try await block(work, "ImageResolved", "AWSNotConfigured", "AWS is not configured, so \(work.spec.image) cannot be resolved to a digest")
            return .requeue(after: settings.blockedRecheck)
        }
        guard let image = ImageReference(work.spec.image) else {
            return try await fail(work, "image \(work.spec.image) \(ImageReference.rule)")
        }
        let digest: String
        do {
            digest = try await verifier.resolveImage(image)
        } catch DomainError.invalid(_, let reason) {
            return try await fail(work, reason)
        } catch {
            try await block(work, "ImageResolved", "ECRUnavailable", "the image digest could not be resolved: \(error)")
            throw error
        }
        let token = makeToken()
        guard try await store.recordSubmitIntent(
            id: run.id, intent: RunSubmitIntent(imageDigest: digest, datasetVersion: dataset.version, callbackToken: token))
        else {
            // Canceled (or moved on) since this pass read it: not submitted.
            return .requeue(after: .zero)
        }
        var parameters = run.parameters
        parameters["dataset_uri"] = .string(dataset.uri)
        parameters["dataset_version"] = .number(Double(dataset.version))
        parameters["image_digest"] = .string(digest)
        parameters["image"] = .string("\(image.repository)@\(digest)")
        if let commit = run.commit { parameters["commit"] = .string(commit) }
        parameters["sluice_run_id"] = .string(run.id.uuidString.lowercased())
        parameters["callback_url"] = .string("\(publicURL)/v1/callbacks/kubeflow/\(run.id.uuidString.lowercased())")
        parameters["callback_token"] = .string(token)
        let submission = PipelineSubmission(marker: work.marker, pipeline: work.spec.kubeflow, parameters: parameters)
        let observed: PipelineRunObservation
        do {
            observed = try await engine({ try await runner.submit(submission) }, work)
        } catch let error as PipelineRunnerError where error.code == .unavailable {
            // Whether the create may have reached Kubeflow decides how soon
            // it may be sent again (see the top of this function).
            let lost = condition(
                "Submitted", "Unknown", "AnswerLost",
                "the create's answer was lost (\(error.message)); the run is looked up by its name before any new submission")
            let unsent = condition("Submitted", "False", "NotSent", "Kubeflow could not be reached: \(error.message)")
            try await store.recordCondition(id: run.id, condition: error.outcomeUnknown ? lost : unsent, polls: nil)
            throw error
        } catch let error as PipelineRunnerError where error.code != .unavailable {
            return try await fail(work, "Kubeflow refused the run: \(error.message)")
        }
        try await store.recordSubmitted(id: run.id, kubeflowRunID: observed.engineRunID)
        try await store.recordCondition(id: run.id, condition: condition("Submitted", "True", "Submitted", "Kubeflow run \(observed.engineRunID)"), polls: 0)
        return .requeue(after: pollDelay(after: 0))
    }

    // MARK: - Submitted or running

    func poll(_ work: RunWork, _ runner: any PipelineRunner) async throws -> ReconcileOutcome {
        let run = work.run
        guard let engineID = run.kubeflowRunID else { throw ReconcileError.permanent("run \(run.id) is \(run.status) without a Kubeflow run id") }
        do {
            if run.cancelRequested, run.conditions[type: "CancelRequested"] == nil {
                var message = "Kubeflow was asked to terminate the run"
                do {
                    try await engine({ try await runner.cancel(engineRunID: engineID) }, work)
                } catch let error as PipelineRunnerError where error.code == .rejected {
                    // Typically the run finished meanwhile; the poll below says how.
                    message = "Kubeflow refused to terminate the run: \(error.message)"
                }
                try await store.recordCondition(id: run.id, condition: condition("CancelRequested", "True", "Terminating", message), polls: 0)
            }
            let observed = try await engine({ try await runner.observe(engineRunID: engineID) }, work)
            if let status = observed.status, status != run.status, run.status.canMove(to: status) {
                let reason = status == .failed ? observed.message ?? "Kubeflow reports the run \(observed.engineState)" : observed.message
                let moved = try await store.recordReport(id: run.id, report: RunReport(status: status, reason: reason), actor: Self.actor)
                if moved.status.isTerminal { return .done }
                return .requeue(after: pollDelay(after: 0))
            }
            let polls = work.polls + 1
            try await store.recordCondition(
                id: run.id, condition: condition("KubeflowReachable", "True", "Observed", "Kubeflow reports \(observed.engineState)"), polls: polls)
            return .requeue(after: pollDelay(after: polls))
        } catch let error as PipelineRunnerError where error.code == .notFound {
            return try await fail(work, "Kubeflow no longer knows run \(engineID)")
        }
    }

    // MARK: - Helpers

    static let actor = "run-reconciler"

    /// Runs an engine call; an unreachable engine is recorded as a
    /// condition before the error goes to the worker loop's backoff.
    func engine<T: Sendable>(_ call: () async throws -> T, _ work: RunWork) async throws -> T {
        do {
            return try await call()
        } catch let error as PipelineRunnerError where error.code == .unavailable {
            try await block(work, "KubeflowReachable", "Unavailable", error.message)
            throw error
        }
    }

    func fail(_ work: RunWork, _ reason: String) async throws -> ReconcileOutcome {
        try await store.recordReport(id: work.run.id, report: RunReport(status: .failed, reason: reason), actor: Self.actor)
        return .done
    }

    func block(_ work: RunWork, _ type: String, _ reason: String, _ message: String) async throws {
        try await store.recordCondition(id: work.run.id, condition: condition(type, "False", reason, message), polls: nil)
    }

    func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> Condition {
        Condition(type: type, status: status, reason: reason, message: message, lastTransitionTime: Date())
    }

    /// 32 random bytes from the system's CSPRNG, as 64 hex digits.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}
