import Foundation
@testable import SluiceReconcile
import Testing

/// One slow health probe does not take a ready instance out of routing.
@Suite struct ProbeFailuresTests {
    @Test func aReadyInstance_staysReady_untilThreeProbesInARowFail() async {
        let failures = ProbeFailures(threshold: 3)
        let owner = UUID()
        func ready(_ id: String, healthy: Bool, wasReady: Bool) async -> Bool {
            await failures.ready(of: owner, probed: [(id, healthy)], wasReady: wasReady ? [id] : []).contains(id)
        }
        #expect(await ready("i-1", healthy: false, wasReady: true))
        #expect(await ready("i-1", healthy: false, wasReady: true))
        #expect(await !ready("i-1", healthy: false, wasReady: true))
        // A good answer starts the count again.
        #expect(await ready("i-1", healthy: true, wasReady: false))
        #expect(await ready("i-1", healthy: false, wasReady: true))
        // An instance that was never ready gets no grace.
        #expect(await !ready("i-2", healthy: false, wasReady: false))
    }
}
