import Foundation
import SluicePostgres
import Synchronization

/// Day partitions of `predictions` and `outcomes` this process knows to
/// exist, so an ingest asks the database to create one only on a new day.
final class PartitionCache: Sendable {
    private let known = Mutex<Set<String>>([])

    /// Makes sure the partitions of `table` for `days` (`YYYY-MM-DD`, UTC) exist.
    func ensure(table: String, days: Set<String>, pool: PGPool) async throws {
        let missing = known.withLock { known in days.filter { !known.contains("\(table)/\($0)") } }
        for day in missing.sorted() {
            // Its own short transaction: DDL on the parent must not wait
            // behind, or hold up, a long ingest.
            try await pool.query("SELECT sluice_ensure_day_partition(\(table), \(day)::date)")
            _ = known.withLock { $0.insert("\(table)/\(day)") }
        }
    }

    /// Forgets everything (after retention drops partitions).
    func reset() { known.withLock { $0.removeAll() } }

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}
