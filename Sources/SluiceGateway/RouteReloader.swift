public import Logging
public import SluiceDomain
import Synchronization

/// Where the gateway's routes come from: every routing document, and a
/// signal whenever they may have changed. `SluiceApp` implements it on
/// PostgreSQL (`LISTEN sluice_routes, sluice_work`).
public protocol RouteSource: Sendable {
    /// Every endpoint's routing document.
    func loadAll() async throws -> [RoutingDocument]
    /// A stream that yields whenever routes may have changed. It ends when
    /// the subscription breaks; the reloader then subscribes again.
    func changes() async throws -> AsyncStream<Void>
}

/// Keeps a ``RouteTable`` current: loads at start (retrying each second
/// until the source answers), reloads on every change signal and every
/// `interval` regardless, and keeps the last routes whenever a load fails.
public struct RouteReloader: Sendable {
    let source: any RouteSource
    let table: RouteTable
    let interval: Duration
    let logger: Logger
    /// Loads started and the latest applied, so that a slow load cannot
    /// replace the result of one started after it.
    private let order = LoadOrder()

    /// A reloader of `table` from `source`.
    public init(source: any RouteSource, table: RouteTable, interval: Duration, logger: Logger) {
        self.source = source
        self.table = table
        self.interval = interval
        self.logger = logger
    }

    /// Loads once; returns whether it worked. A failure keeps the table, and
    /// so does a result older than one already applied (the change signal
    /// and the periodic reload run at once).
    @discardableResult
    public func reload() async -> Bool {
        let ticket = order.start()
        do {
            let documents = try await source.loadAll()
            if order.apply(ticket, { table.replace(documents) }) {
                logger.debug("routes loaded", metadata: ["endpoints": "\(documents.count)"])
            }
            return true
        } catch {
            logger.warning("routes not reloaded; serving the last ones", metadata: ["reason": "\(error)"])
            return false
        }
    }

    /// Follows changes until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await followChanges() }
            group.addTask { await reloadPeriodically() }
            await group.waitForAll()
        }
    }

    private func reloadPeriodically() async {
        while !Task.isCancelled {
            let loaded = await reload()
            // Until the first load works, try every second.
            let wait: Duration = loaded || table.isLoaded ? interval : .seconds(1)
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }

    private func followChanges() async {
        while !Task.isCancelled {
            do {
                let changes = try await source.changes()
                // Notifications sent while not subscribed are lost: re-read now.
                await reload()
                for await _ in changes {
                    await reload()
                }
            } catch {
                logger.debug("route change subscription failed", metadata: ["reason": "\(error)"])
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }
}

/// The order of route loads: each takes a ticket when it starts, and a
/// result is applied only if no later-started load was applied before it.
final class LoadOrder: Sendable {
    private let state = Mutex((started: UInt64(0), applied: UInt64(0)))

    /// A ticket for a load starting now.
    func start() -> UInt64 {
        state.withLock { state in
            state.started += 1
            return state.started
        }
    }

    /// Runs `apply` for the load with `ticket` unless a later one was
    /// applied already; returns whether it ran. Under the lock, so two
    /// results never interleave.
    func apply(_ ticket: UInt64, _ apply: () -> Void) -> Bool {
        state.withLock { state in
            guard ticket > state.applied else { return false }
            state.applied = ticket
            apply()
            return true
        }
    }
}
