import Testing
@testable import SluiceHTTP

/// `ConnectionTimer` stepped with explicit times (nanoseconds), the way
/// `HTTPConnection` drives it: no clock, no sleeping.
@Suite struct ConnectionTimerTests {
    static let second: UInt64 = 1_000_000_000

    /// Distinct timeouts, so a wrong phase shows as a wrong deadline.
    static let timeouts: HTTPTimeouts = {
        var timeouts = HTTPTimeouts()
        timeouts.idle = .seconds(60)
        timeouts.head = .seconds(10)
        timeouts.body = .seconds(30)
        timeouts.write = .seconds(20)
        timeouts.linger = .seconds(2)
        return timeouts
    }()

    static func at(_ seconds: UInt64) -> UInt64 { 1_000 * second + seconds * second }

    @Test func newConnection_isIdleUntilTheIdleTimeout() {
        let timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        #expect(timer.phase == .idle)
        #expect(timer.deadline == Self.at(60))
        #expect(timer.expiry(now: Self.at(60) - 1) == nil)
        #expect(timer.expiry(now: Self.at(60)) == .close)
    }

    /// A write that cannot go out (a `100 Continue` to a client that does
    /// not read) keeps its deadline while the body arrives and the handler
    /// runs: those phases must not suspend it.
    @Test func blockedWrite_expiresWhateverThePhase() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.head, now: Self.at(1))
        timer.writeBlocked(now: Self.at(2))
        timer.writeBlocked(now: Self.at(3))  // already running: unchanged
        timer.enter(.body, now: Self.at(4))
        timer.progress(now: Self.at(10))
        timer.enter(.handling, now: Self.at(12))
        #expect(timer.writeDeadline == Self.at(22))
        #expect(timer.expiry(now: Self.at(22) - 1) == nil)
        #expect(timer.expiry(now: Self.at(22)) == .close)
        timer.wrote(now: Self.at(21))
        #expect(timer.expiry(now: Self.at(22)) == nil)
        timer.writeDrained()
        #expect(timer.writeDeadline == nil && timer.expiry(now: Self.at(100)) == nil)
    }

    /// Empty lines before a request (RFC 9112 §2.2) move the timer to head
    /// and back; the idle deadline must be the one from before them.
    @Test func emptyLines_doNotRenewTheIdleDeadline() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.head, now: Self.at(50))
        timer.resumeIdle(now: Self.at(50))
        #expect(timer.phase == .idle && timer.deadline == Self.at(60))
        // After a served request, idle starts afresh.
        timer.enter(.head, now: Self.at(55))
        timer.enter(.handling, now: Self.at(56))
        timer.enter(.idle, now: Self.at(57))
        timer.enter(.head, now: Self.at(58))
        timer.resumeIdle(now: Self.at(59))
        #expect(timer.deadline == Self.at(117))
    }

    @Test func head_isNotExtendedByProgress() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.head, now: Self.at(5))
        #expect(timer.deadline == Self.at(15))
        // One byte every few seconds must not keep a head open (slowloris).
        for t in stride(from: UInt64(6), through: 14, by: 2) { timer.progress(now: Self.at(t)) }
        #expect(timer.deadline == Self.at(15))
        #expect(timer.expiry(now: Self.at(15) - 1) == nil)
        #expect(timer.expiry(now: Self.at(15)) == .requestTimeout)
    }

    @Test func body_isExtendedByProgress() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.body, now: Self.at(0))
        #expect(timer.deadline == Self.at(30))
        timer.progress(now: Self.at(25))
        #expect(timer.deadline == Self.at(55))
        #expect(timer.expiry(now: Self.at(54)) == nil)
        #expect(timer.expiry(now: Self.at(55)) == .requestTimeout)
    }

    @Test func handling_hasNoDeadline() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.handling, now: Self.at(1))
        #expect(timer.deadline == nil)
        timer.progress(now: Self.at(2))
        #expect(timer.deadline == nil)
        #expect(timer.expiry(now: UInt64.max) == nil)
    }

    @Test func writing_isExtendedByProgressAndCloses() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.writing, now: Self.at(0))
        #expect(timer.deadline == Self.at(20))
        timer.progress(now: Self.at(19))
        #expect(timer.deadline == Self.at(39))
        #expect(timer.expiry(now: Self.at(38)) == nil)
        #expect(timer.expiry(now: Self.at(39)) == .close, "no 408 once a response has started")
    }

    @Test func lingering_isNotExtendedByProgress() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.lingering, now: Self.at(0))
        timer.progress(now: Self.at(1))
        #expect(timer.deadline == Self.at(2))
        #expect(timer.expiry(now: Self.at(2)) == .close)
    }

    @Test func idle_isNotExtendedByProgress() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.progress(now: Self.at(30))
        #expect(timer.deadline == Self.at(60))
    }

    /// One keep-alive exchange from first byte to lingering close, checking
    /// at each step which expiry a late tick would see.
    @Test func oneExchange_stepByStep() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))

        // First byte after 3 s idle: the head clock starts.
        #expect(timer.expiry(now: Self.at(3)) == nil)
        timer.enter(.head, now: Self.at(3))
        timer.progress(now: Self.at(8))
        #expect(timer.expiry(now: Self.at(13)) == .requestTimeout)

        // Head complete at 9 s; the body trickles in.
        timer.enter(.body, now: Self.at(9))
        #expect(timer.expiry(now: Self.at(13)) == nil, "the head deadline no longer applies")
        timer.progress(now: Self.at(30))
        timer.progress(now: Self.at(50))
        #expect(timer.deadline == Self.at(80))
        #expect(timer.expiry(now: Self.at(80)) == .requestTimeout)

        // The handler runs as long as it needs.
        timer.enter(.handling, now: Self.at(51))
        #expect(timer.expiry(now: Self.at(1_000)) == nil)

        // The response is written to a slow reader.
        timer.enter(.writing, now: Self.at(1_000))
        timer.progress(now: Self.at(1_015))
        #expect(timer.expiry(now: Self.at(1_030)) == nil)
        #expect(timer.expiry(now: Self.at(1_035)) == .close)

        // Kept alive: idle again.
        timer.enter(.idle, now: Self.at(1_016))
        #expect(timer.phase == .idle)
        #expect(timer.deadline == Self.at(1_076))
        #expect(timer.expiry(now: Self.at(1_076)) == .close)

        // Closing: linger briefly so the last response is not reset.
        timer.enter(.lingering, now: Self.at(1_020))
        #expect(timer.phase == .lingering)
        #expect(timer.expiry(now: Self.at(1_021)) == nil)
        #expect(timer.expiry(now: Self.at(1_022)) == .close)
    }

    @Test func reenteringAPhase_restartsItsClock() {
        var timer = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        timer.enter(.head, now: Self.at(0))
        timer.enter(.head, now: Self.at(7))
        #expect(timer.deadline == Self.at(17))
    }

    @Test func equality_comparesPhaseAndDeadline() {
        var a = ConnectionTimer(timeouts: Self.timeouts, now: Self.at(0))
        var b = ConnectionTimer(timeouts: HTTPTimeouts(), now: Self.at(0))
        a.enter(.handling, now: Self.at(1))
        b.enter(.handling, now: Self.at(2))
        #expect(a == b)
        b.enter(.writing, now: Self.at(2))
        #expect(a != b)
    }
}
