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

/// The uploader as a `Service`: uploads until the shutdown reaches it,
/// which is after the recorder has written its last records (it is first in
/// the group, so stopped last); then one more pass, bounded by `finalPass`,
/// so a pod that is replaced leaves nothing in its journal unless the
/// database is down (the next start replays what is left).
struct UploaderService: Service {
    let uploader: JournalUploader
    let finalPass: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown { await uploader.run() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await uploader.uploadAll() }
            group.addTask { try? await Task.sleep(for: finalPass) }
            await group.next()
            group.cancelAll()
        }
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
