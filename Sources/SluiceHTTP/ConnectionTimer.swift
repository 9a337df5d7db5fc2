import SluiceSockets

/// The timeout state machine of one connection: which phase it is in and
/// when that phase expires. Pure: time is passed in, so tests step it.
struct ConnectionTimer: Sendable, Equatable {
    /// What the connection is waiting for.
    enum Phase: Sendable, Equatable {
        /// Between requests (or before the first): waiting for a first byte.
        case idle
        /// Receiving a head.
        case head
        /// Receiving a body.
        case body
        /// A handler is producing the response: no server-side deadline.
        case handling
        /// Waiting for the client to take response bytes.
        case writing
        /// Write side closed; discarding input until the client closes.
        case lingering
    }

    /// What to do when a deadline passes.
    enum Expiry: Sendable, Equatable {
        /// Answer 408 Request Timeout, then close.
        case requestTimeout
        /// Close without answering.
        case close
    }

    private(set) var phase: Phase
    private(set) var deadline: UInt64?
    /// While the client is not taking response bytes (an interim
    /// `100 Continue` included), when that expires, whatever the phase:
    /// reading a body or handling a request does not suspend it.
    private(set) var writeDeadline: UInt64?
    /// The idle deadline in force when a first byte arrived, restored if
    /// those bytes were only empty lines (which must not renew it).
    private var idleDeadline: UInt64?
    private let limits: (head: UInt64, body: UInt64, idle: UInt64, write: UInt64, linger: UInt64)

    init(timeouts: HTTPTimeouts, now: UInt64) {
        limits = (timeouts.head.nanoseconds, timeouts.body.nanoseconds, timeouts.idle.nanoseconds,
                  timeouts.write.nanoseconds, timeouts.linger.nanoseconds)
        phase = .idle
        deadline = now &+ limits.idle
    }

    /// Moves to `phase`, starting its clock at `now`.
    mutating func enter(_ phase: Phase, now: UInt64) {
        idleDeadline = phase == .head && self.phase == .idle ? deadline : nil
        self.phase = phase
        switch phase {
        case .idle: deadline = now &+ limits.idle
        case .head: deadline = now &+ limits.head
        case .body: deadline = now &+ limits.body
        case .handling: deadline = nil
        case .writing: deadline = now &+ limits.write
        case .lingering: deadline = now &+ limits.linger
        }
    }

    /// Back to idle after a head phase that consumed only empty lines
    /// (RFC 9112 §2.2): the idle deadline is the one before them, so a
    /// client cannot hold a connection by sending CRLF now and then.
    mutating func resumeIdle(now: UInt64) {
        let restored = idleDeadline
        enter(.idle, now: now)
        if let restored { deadline = restored }
    }

    /// Response bytes could not all be written: the write clock starts,
    /// unless it runs already.
    mutating func writeBlocked(now: UInt64) {
        if writeDeadline == nil { writeDeadline = now &+ limits.write }
    }

    /// The client took response bytes: the write clock restarts if it runs.
    mutating func wrote(now: UInt64) {
        if writeDeadline != nil { writeDeadline = now &+ limits.write }
    }

    /// Every queued response byte is written.
    mutating func writeDrained() {
        writeDeadline = nil
    }

    /// Records progress: the body and write deadlines restart; the head
    /// deadline does not (a whole head must arrive in time).
    mutating func progress(now: UInt64) {
        switch phase {
        case .body: deadline = now &+ limits.body
        case .writing: deadline = now &+ limits.write
        case .idle, .head, .handling, .lingering: break
        }
    }

    /// What to do at `now`, or `nil` while the deadline has not passed.
    func expiry(now: UInt64) -> Expiry? {
        if let writeDeadline, now >= writeDeadline { return .close }
        guard let deadline, now >= deadline else { return nil }
        switch phase {
        case .head, .body: return .requestTimeout
        case .idle, .writing, .lingering, .handling: return .close
        }
    }

    static func == (lhs: ConnectionTimer, rhs: ConnectionTimer) -> Bool {
        lhs.phase == rhs.phase && lhs.deadline == rhs.deadline && lhs.writeDeadline == rhs.writeDeadline
    }
}
