import Foundation
import Logging
import SluiceDomain
import SluiceHTTPClient
import Synchronization

/// Sends copies of a request to an endpoint's stealth deployments without
/// ever making the client wait: each copy is a callback on the stealth
/// client's thread (a detached task when the client cannot call back) that
/// nobody awaits, with its own HTTP client (its own connection pool, so shadows
/// cannot use up the live path's connections), its own timeout, and at most
/// `concurrency` copies in flight per deployment — beyond that a copy is
/// dropped and counted, never queued.
final class StealthDispatcher: Sendable {
    private let caller: ModelCaller
    /// The stealth client when it takes callbacks: then a copy needs no task.
    private let callbackClient: (any CallbackHTTPClient)?
    private let recorder: PredictionRecorder
    private let sampleRate: Double
    private let maxBody: Int
    private let concurrency: Int
    private let inFlight = Mutex<[UUID: Int]>([:])

    init(caller: ModelCaller, recorder: PredictionRecorder, configuration: GatewayConfiguration) {
        self.caller = caller
        callbackClient = caller.client as? any CallbackHTTPClient
        self.recorder = recorder
        self.sampleRate = configuration.stealthSampleRate
        self.maxBody = configuration.stealthMaxBody
        self.concurrency = max(1, configuration.stealthConcurrency)
    }

    /// Starts a copy to every sampled stealth deployment; returns at once.
    func dispatch(_ targets: [PreparedTarget], body: [UInt8], contentType: String?, requestID: String, at: Date) {
        for target in targets {
            let deployment = target.target.deploymentID
            guard StealthSampler.isSampled(requestID: requestID, deployment: deployment, rate: sampleRate) else {
                target.metrics.copyDropped(.sampledOut)
                continue
            }
            guard body.count <= maxBody else {
                target.metrics.copyDropped(.oversize)
                continue
            }
            guard acquire(deployment) else {
                target.metrics.copyDropped(.queueFull)
                continue
            }
            target.metrics.copySent()
            let finish: @Sendable (ModelCallResult) -> Void = { [self] result in
                release(deployment)
                if case .timedOut = result { target.metrics.copyDropped(.timeout) }
                recorder.record(Gateway.prediction(result, target: target, requestID: requestID, at: at))
            }
            if let callbackClient {
                // Finishes on the stealth client's thread: recording never blocks.
                caller.call(target, body: body, contentType: contentType, requestID: requestID, via: callbackClient, completion: finish)
            } else {
                Task.detached { [caller] in
                    finish(await caller.call(target, body: body, contentType: contentType, requestID: requestID))
                }
            }
        }
    }

    /// Stealth calls in flight, all deployments.
    var callsInFlight: Int { inFlight.withLock { $0.values.reduce(0, +) } }

    private func acquire(_ deployment: UUID) -> Bool {
        inFlight.withLock { counts in
            let current = counts[deployment, default: 0]
            guard current < concurrency else { return false }
            counts[deployment] = current + 1
            return true
        }
    }

    private func release(_ deployment: UUID) {
        inFlight.withLock { counts in
            let remaining = counts[deployment, default: 1] - 1
            counts[deployment] = remaining > 0 ? remaining : nil
        }
    }
}
