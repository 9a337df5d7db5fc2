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

    /// Days since 1970-01-01 UTC: cheap enough for every item of a batch,
    /// which then formats only its distinct days.
    static func dayNumber(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The distinct `YYYY-MM-DD` days of `dates`.
    static func days(_ dates: some Sequence<Date>) -> Set<String> {
        Set(Set(dates.map(dayNumber)).map(format))
    }

    /// `YYYY-MM-DD` of a day number (the civil-from-days algorithm of
    /// H. Hinnant's date library, proleptic Gregorian).
    static func format(_ dayNumber: Int) -> String {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}
