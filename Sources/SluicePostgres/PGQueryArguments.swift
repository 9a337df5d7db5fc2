import Foundation

/// A statement's parameters in the arrays `PQexecParams` and
/// `PQsendQueryParams` take, checked before anything is sent.
struct PGQueryArguments {
    var types: [UInt32] = []
    var lengths: [Int32] = []
    var formats: [Int32] = []
    private var values: [[UInt8]?] = []

    /// Throws ``PGError/Code/encoding`` (nothing sent) for a parameter that
    /// cannot be sent, SQL holding NUL, or too many parameters.
    init(_ query: PGQuery) throws {
        if var error = query.encodingError {
            error.sql = query.sql
            throw error
        }
        guard !Self.holdsNUL(query.sql) else {
            throw PGError(code: .encoding, message: "the SQL text contains NUL")
        }
        guard query.binds.count <= Int(UInt16.max) else {
            throw PGError(code: .encoding, message: "\(query.binds.count) parameters; PostgreSQL takes at most 65535")
        }
        for (index, bind) in query.binds.enumerated() {
            types.append(bind.type.rawValue)
            switch bind.value {
            case nil:
                values.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text)?:
                guard !Self.holdsNUL(text) else {
                    var error = PGError(code: .encoding, message: "parameter $\(index + 1) contains NUL, which PostgreSQL text cannot hold")
                    error.sql = query.sql
                    throw error
                }
                values.append(Array(text.utf8))
                lengths.append(0)  // ignored for text parameters
                formats.append(0)
            case .binary(let bytes)?:
                guard bytes.count <= Int(Int32.max) else {
                    throw PGError(code: .encoding, message: "parameter $\(index + 1) is larger than 2 GiB")
                }
                values.append(bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
    }

    /// Whether `text` holds a NUL byte: `memchr` over its UTF-8 storage
    /// (a batch's array parameters are hundreds of kilobytes; going through
    /// `String.UTF8View` byte by byte cost 7 % of an ingest's CPU).
    static func holdsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }

    /// Calls `body` with libpq's array of value pointers.
    func withPointers<T>(_ body: ([UnsafePointer<CChar>?]) throws -> T) throws -> T {
        try PGCStrings(values).withPointers(body)
    }
}
