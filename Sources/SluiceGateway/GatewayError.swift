/// A failure of the gateway's own machinery (the journal), with a `Code`
/// and the detail kept for `debugDescription`.
public struct GatewayError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What failed.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// A journal file could not be created, written, synced or renamed.
        public static let journalWrite = Code(name: "journalWrite")
        /// A journal file could not be read or removed.
        public static let journalRead = Code(name: "journalRead")
        public var description: String { name }
    }

    /// What failed.
    public var code: Code
    /// The detail: the path and `errno`'s text.
    public var detail: String

    /// An error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "GatewayError.\(code)" }
    public var debugDescription: String { "GatewayError.\(code): \(detail)" }
}
