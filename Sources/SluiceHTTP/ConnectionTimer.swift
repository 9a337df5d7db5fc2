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
    private let limits: (head: UInt64, body: UInt64, idle: UInt64, write: UInt64, linger: UInt64)

    init(timeouts: HTTPTimeouts, now: UInt64) {
        limits = (timeouts.head.nanoseconds, timeouts.body.nanoseconds, timeouts.idle.nanoseconds,
                  timeouts.write.nanoseconds, timeouts.linger.nanoseconds)
        phase = .idle
        deadline = now &+ limits.idle
    }

    /// Moves to `phase`, starting its clock at `now`.
    mutating func enter(_ phase: Phase, now: UInt64) {
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
        guard let deadline, now >= deadline else { return nil }
        switch phase {
        case .head, .body: return .requestTimeout
        case .idle, .writing, .lingering, .handling: return .close
        }
    }

    static func == (lhs: ConnectionTimer, rhs: ConnectionTimer) -> Bool {
        lhs.phase == rhs.phase && lhs.deadline == rhs.deadline
    }
}
