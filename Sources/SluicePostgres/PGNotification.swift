/// One `NOTIFY` received by a ``PGListener``.
public struct PGNotification: Hashable, Sendable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (empty when none was given).
    public var payload: String
    /// The server process that sent it.
    public var processID: Int32

    /// A notification on `channel` with `payload` from `processID`.
    public init(channel: String, payload: String, processID: Int32) {
        self.channel = channel
        self.payload = payload
        self.processID = processID
    }
}
