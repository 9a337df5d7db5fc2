/// Why a stream of records could not be read or written. The detail never
/// quotes record contents: client data stays out of errors and logs.
public struct RecordsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Equatable {
        /// The gzip stream is damaged or truncated.
        case corruptGzip
        /// zlib could not start or allocate a stream.
        case zlib
        /// The header line has no column named as the dataset's fund column.
        case missingFundColumn
        /// The header line is not a well-formed CSV record, or names the
        /// fund column more than once (which copy holds the fund would be
        /// up to the reader).
        case invalidHeader
        /// One record is longer than the splitter's limit (an unclosed
        /// quote, usually); reading on would hold the rest of the object.
        case recordTooLarge
    }

    /// The kind of failure.
    public var code: Code
    /// Safe detail: zlib's return code, a column name the dataset spec gave.
    public var detail: String

    /// An error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
