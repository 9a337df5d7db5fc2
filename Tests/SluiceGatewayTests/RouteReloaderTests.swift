import Foundation
import Logging
import SluiceDomain
@testable import SluiceGateway
import Synchronization
import Testing

/// `RouteReloader`: loads started later win, whatever order they finish in.
@Suite struct RouteReloaderTests {
    /// The first load reads the old routes and is slow; the second reads
    /// the new ones and finishes first.
    final class CrossingSource: RouteSource, Sendable {
        let calls = Mutex(0)

        static func document(version: Int) -> RoutingDocument {
            RoutingDocument(
                region: "eu-west-1", endpoint: "e",
                live: RouteTarget(
                    deploymentID: UUID(), name: "live", model: "m", version: version, runtime: .torchserve,
                    addresses: ["http://127.0.0.1:1"]),
                stealth: [])
        }

        func loadAll() async throws -> [RoutingDocument] {
            let call = calls.withLock { calls in
                calls += 1
                return calls
            }
            if call == 1 {
                try await Task.sleep(for: .milliseconds(300))
                return [Self.document(version: 1)]
            }
            return [Self.document(version: 2)]
        }

        func changes() async throws -> AsyncStream<Void> { AsyncStream { $0.finish() } }
    }

    @Test func aSlowOlderLoad_neverReplacesANewerOne() async throws {
        let table = RouteTable()
        let reloader = RouteReloader(source: CrossingSource(), table: table, interval: .seconds(60), logger: Logger(label: "test"))
        async let older = reloader.reload()
        try await Task.sleep(for: .milliseconds(50))
        async let newer = reloader.reload()
        _ = await (older, newer)
        #expect(table.document(region: "eu-west-1", endpoint: "e")?.live?.version == 2)
    }
}
