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
        format(dayNumber(date))
    }

    /// Days since 1970-01-01 UTC of `date` as it is stored (SluicePostgres
    /// rounds to the microsecond, so the last half microsecond of a day
    /// counts for the next, where PostgreSQL puts the row). Cheap enough
    /// for every item of a batch, which then formats only its distinct
    /// days. An instant that cannot be stored fails when bound instead.
    static func dayNumber(_ date: Date) -> Int {
        date.pgUTCDay ?? 0
    }

    /// The distinct `YYYY-MM-DD` days of `dates`.
    static func days(_ dates: some Sequence<Date>) -> Set<String> {
        Set(Set(dates.map(dayNumber)).map(format))
    }

    /// `YYYY-MM-DD` of a day number: the date part of the timestamp text
    /// SluicePostgres already writes for a `Date` (`YYYY-MM-DDTHH:MM:SS...`).
    static func format(_ dayNumber: Int) -> String {
        let midnight = Date(timeIntervalSince1970: Double(dayNumber) * 86_400)
        guard case .text(let text)? = try? midnight.pgEncoded() else { return "1970-01-01" }
        return String(text.prefix(10))
    }
}
