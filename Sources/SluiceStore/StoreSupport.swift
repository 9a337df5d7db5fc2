import Foundation
import SluiceDomain
import SluicePostgres

/// Helpers every SQL store shares.
enum StoreSupport {
    /// The first row, or a decoding error naming what was expected: an
    /// `INSERT ... RETURNING` that returns nothing is a bug, not a 404.
    static func first(_ rows: PGRows, _ what: String) throws -> PGRow {
        guard let row = rows.first else { throw PGError(code: .queryFailed, message: "\(what) returned no row") }
        return row
    }

    /// Throws ``DomainError/preconditionFailed(_:)`` unless `ifMatch` is `nil`
    /// or equals the row's `resource_version`.
    static func checkIfMatch(_ ifMatch: Int64?, current: Int64, resource: String) throws(DomainError) {
        if let ifMatch, ifMatch != current {
            throw .preconditionFailed("\(resource) has changed since the ETag you sent; fetch it again")
        }
    }

    /// A cursor holding an integer (version numbers, event ids).
    static func integerCursor(_ cursor: String?) throws(DomainError) -> Int64? {
        guard let cursor else { return nil }
        guard let value = Int64(cursor) else { throw .invalid(field: "page_token", reason: "is not a valid page token") }
        return value
    }

    /// A cursor holding a UUID.
    static func uuidCursor(_ cursor: String?) throws(DomainError) -> UUID? {
        guard let cursor else { return nil }
        guard let value = UUID(uuidString: cursor) else { throw .invalid(field: "page_token", reason: "is not a valid page token") }
        return value
    }

    /// A JSON value read from a nullable `jsonb` column.
    static func json(_ row: PGRow, _ column: String) throws -> JSONValue? {
        try row.decode(column, as: PGJSON<JSONValue>?.self)?.value
    }

    /// The lowercase text of a UUID, as the API shows it.
    static func text(_ id: UUID) -> String { id.lowercasedString }
}
