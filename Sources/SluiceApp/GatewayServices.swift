import ServiceLifecycle
import SluiceGateway

/// A long-running loop of the gateway as a `Service`: cancelled on
/// graceful shutdown.
struct LoopService: Service {
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}

/// The recorder as a `Service`. Shut down after the HTTP server (the
/// service group stops services in reverse order), so every answered
/// request's results are queued by then; it waits briefly for stealth calls
/// still running, then writes the whole queue to the journal.
struct RecorderService: Service {
    let recorder: PredictionRecorder
    let gateway: Gateway
    let stealthGrace: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown { await recorder.run() }
        let deadline = ContinuousClock.now + stealthGrace
        while gateway.stealthCallsInFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await recorder.flush()
    }
}
