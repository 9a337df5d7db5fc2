public import SluiceDomain
public import SluiceKubeflow

/// ``PipelineRunner`` on Kubeflow Pipelines v2beta1 (`SluiceKubeflow`):
/// translates states and errors, nothing more.
public struct KubeflowPipelineRunner: PipelineRunner {
    public let client: KubeflowClient

    /// A runner over `client`.
    public init(client: KubeflowClient) {
        self.client = client
    }

    public func submit(_ submission: PipelineSubmission) async throws -> PipelineRunObservation {
        let request = KubeflowRunRequest(
            displayName: submission.marker, description: "Started by Sluice", experimentID: submission.pipeline.experimentID,
            pipelineID: submission.pipeline.pipelineID, pipelineVersionID: submission.pipeline.pipelineVersionID,
            parameters: submission.parameters.mapValues { KubeflowValue($0) })
        do {
            return Self.observation(try await client.createRun(request))
        } catch {
            throw Self.translate(error, doing: "create run \(submission.marker)")
        }
    }

    public func find(marker: String, pipeline: KubeflowPipelineRef) async throws -> PipelineRunObservation? {
        do {
            return try await client.findRuns(displayName: marker, experimentID: pipeline.experimentID).first.map(Self.observation)
        } catch {
            throw Self.translate(error, doing: "look up run \(marker)")
        }
    }

    public func observe(engineRunID: String) async throws -> PipelineRunObservation {
        do {
            return Self.observation(try await client.getRun(id: engineRunID))
        } catch {
            throw Self.translate(error, doing: "get run \(engineRunID)")
        }
    }

    public func cancel(engineRunID: String) async throws {
        do {
            try await client.terminateRun(id: engineRunID)
        } catch {
            throw Self.translate(error, doing: "terminate run \(engineRunID)")
        }
    }

    /// Kubeflow's `v2beta1RuntimeState` in Sluice's terms. `CANCELING`
    /// and `PAUSED` are still running; `SKIPPED` (every step cached) is a
    /// success; unspecified and unknown states say nothing.
    public static func status(of state: KubeflowRuntimeState) -> RunStatus? {
        switch state {
        case .pending: .submitted
        case .running, .canceling, .paused: .running
        case .succeeded, .skipped: .succeeded
        case .failed: .failed
        case .canceled: .canceled
        case .unspecified, .unknown: nil
        }
    }

    static func observation(_ run: KubeflowRun) -> PipelineRunObservation {
        PipelineRunObservation(
            engineRunID: run.runID, status: status(of: run.state), engineState: run.state.rawValue,
            message: run.error?.message ?? run.error?.error)
    }

    static func translate(_ error: KubeflowError, doing what: String) -> PipelineRunnerError {
        if error.isNotFound { return PipelineRunnerError(.notFound, "Kubeflow does not know the run (\(what)): \(error.debugDescription)") }
        if error.isTransient {
            return PipelineRunnerError(.unavailable, "\(what): \(error.debugDescription)", outcomeUnknown: !error.neverSent)
        }
        return PipelineRunnerError(.rejected, "\(what): \(error.debugDescription)")
    }
}
