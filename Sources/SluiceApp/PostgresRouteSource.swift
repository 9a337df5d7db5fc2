import SluiceDomain
import SluiceGateway
import SluicePostgres
import SluiceStore

/// The gateway's ``RouteSource`` on PostgreSQL: every routing document from
/// ``PostgresEndpointStore``, and a change signal from `LISTEN` on
/// `sluice_routes` (promotion, rollback) and `sluice_work` (payloads
/// `deployment:<id>`: created, changed, deleted, instances moved).
struct PostgresRouteSource: RouteSource {
    let store: PostgresEndpointStore
    let listener: PGListener

    func loadAll() async throws -> [RoutingDocument] {
        try await store.allRoutings()
    }

    func changes() async throws -> AsyncStream<Void> {
        let routes = try await listener.listen("sluice_routes")
        let work = try await listener.listen("sluice_work")
        // Newest-one buffering coalesces a burst of notifications into one reload.
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let forward = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in routes { continuation.yield() } }
                group.addTask {
                    for await notification in work where notification.payload.hasPrefix("deployment:") { continuation.yield() }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in forward.cancel() }
        return stream
    }
}
