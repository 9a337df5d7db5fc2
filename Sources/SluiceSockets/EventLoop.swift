#if canImport(Glibc)
import Glibc
#endif
import CSluiceSystem
import Dispatch
import Synchronization

/// One thread that waits on `epoll` and runs everything registered with it.
///
/// The thread is a dedicated POSIX thread blocked in `epoll_wait` (not a
/// Dispatch worker: those are a shared pool capped at 255, see
/// docs/decisions.md; measured against per-socket Dispatch sources there). Handlers,
/// tickers and submitted work all run on that one thread, so state owned by
/// a loop needs no locks. The loop is also a `TaskExecutor`: a task started
/// with `executorPreference: loop` runs its non-isolated code on the loop
/// thread, so a handler that does not suspend answers without a thread hop.
public final class EventLoop: @unchecked Sendable, TaskExecutor {
    private enum Work {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    private struct Pending {
        var work: [Work] = []
        var sleeping = false
        var stopped = false
        /// The thread has left its loop: work is no longer taken, and the
        /// wake-up descriptor is (about to be) closed, so nobody signals it.
        var exited = false
    }

    /// The loop's position in its group.
    public let index: Int
    /// The thread's name, as `top -H` and `perf` show it (at most 15 bytes are kept).
    public let name: String
    private let epfd: Int32
    private let wakeFD: Int32
    private let pending = Mutex(Pending())
    private let thread = Atomic<UInt>(0)
    private let finished = DispatchSemaphore(value: 0)
    private let tickInterval: UInt64

    // Loop-confined state: touched only on the loop thread.
    private var handlers: [UInt64: any EventHandler] = [:]
    private var nextTag: UInt64 = 1
    private var tickers: [UInt64: (UInt64) -> Void] = [:]
    private var nextTick: UInt64 = 0
    private var stranding = false

    /// Creates and starts a loop. `tickInterval` is how often tickers run;
    /// `name` names its thread.
    public init(index: Int = 0, tickInterval: Duration = .milliseconds(100), name: String = "event-loop") throws(SocketError) {
        let epfd = sluice_epoll_create()
        guard epfd >= 0 else { throw SocketError.makeFailed("epoll_create1") }
        let wakeFD = sluice_eventfd()
        guard wakeFD >= 0 else {
            Glibc.close(epfd)
            throw SocketError.makeFailed("eventfd")
        }
        guard sluice_epoll_ctl(epfd, SLUICE_CTL_ADD, wakeFD, SLUICE_EV_READ, 0) == 0 else {
            let error = SocketError.makeFailed("epoll_ctl")
            Glibc.close(epfd)
            Glibc.close(wakeFD)
            throw error
        }
        self.index = index
        self.name = name
        self.epfd = epfd
        self.wakeFD = wakeFD
        self.tickInterval = max(Duration.milliseconds(1).nanoseconds, tickInterval.nanoseconds)
        try startThread()
    }

    /// Starts the loop's own thread; it holds a reference to the loop until `run` returns.
    private func startThread() throws(SocketError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(context).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            Glibc.close(epfd)
            Glibc.close(wakeFD)
            throw SocketError(.failed, operation: "pthread_create", errno: result)
        }
        pthread_detach(thread)
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        _ = pthread_key_create(&key, nil)
        return key
    }()

    /// The loop whose thread the caller is on, if any.
    public static var current: EventLoop? {
        pthread_getspecific(currentKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Whether the caller is on this loop's thread.
    public var inEventLoop: Bool {
        thread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Runs `work` on the loop thread, soon. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        submit(.closure(work))
    }

    /// Runs `work` on the loop thread, soon, unless the loop is stopping;
    /// `false` when it is, and `work` will never run. Safe from any thread.
    public func executeUnlessStopped(_ work: @escaping @Sendable () -> Void) -> Bool {
        pending.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.work.append(.closure(work))
            wakeIfSleeping(&state)
            return true
        }
    }

    /// `TaskExecutor`: runs a job of a task that prefers this loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    private func submit(_ work: Work) {
        pending.withLock { state in
            // After the thread left its loop nothing would run it.
            guard !state.exited else { return }
            state.work.append(work)
            wakeIfSleeping(&state)
        }
    }

    /// Signals the wake-up descriptor if the thread sleeps in `epoll_wait`.
    /// Under the lock, so that it cannot race the descriptor's close.
    private func wakeIfSleeping(_ state: inout Pending) {
        guard state.sleeping, !state.exited else { return }
        state.sleeping = false
        _ = sluice_eventfd_signal(wakeFD)
    }

    /// Registers `handler` for `fd` with the given interest. Loop thread only.
    /// Returns the registration tag used to modify or remove it.
    public func register(fd: Int32, interest: IOEvents, handler: any EventHandler) throws(SocketError) -> UInt64 {
        // Once the loop has let its handlers go, a new one would never be called.
        guard !stranding else { throw SocketError(.closed, operation: "epoll_ctl") }
        let tag = nextTag
        nextTag += 1
        guard sluice_epoll_ctl(epfd, SLUICE_CTL_ADD, fd, interest.rawValue, tag) == 0 else {
            throw SocketError.makeFailed("epoll_ctl")
        }
        handlers[tag] = handler
        return tag
    }

    /// Changes the interest of a registration. Loop thread only.
    public func modify(fd: Int32, tag: UInt64, interest: IOEvents) throws(SocketError) {
        guard sluice_epoll_ctl(epfd, SLUICE_CTL_MOD, fd, interest.rawValue, tag) == 0 else {
            throw SocketError.makeFailed("epoll_ctl")
        }
    }

    /// Removes a registration. Call before closing the descriptor. Loop thread only.
    public func deregister(fd: Int32, tag: UInt64) {
        _ = sluice_epoll_ctl(epfd, SLUICE_CTL_DEL, fd, 0, tag)
        handlers[tag] = nil
    }

    /// Adds a function called about every tick interval with the monotonic
    /// time, for timeouts. Loop thread only. Returns a tag for removal.
    public func addTicker(_ ticker: @escaping (UInt64) -> Void) -> UInt64 {
        let tag = nextTag
        nextTag += 1
        tickers[tag] = ticker
        return tag
    }

    /// Removes a ticker. Loop thread only.
    public func removeTicker(_ tag: UInt64) {
        tickers[tag] = nil
    }

    /// Stops the loop after the work already submitted, and waits for its thread.
    /// Must not be called from the loop thread itself.
    public func shutdown() {
        let wasStopped = pending.withLock { state -> Bool in
            defer { state.stopped = true }
            if !state.stopped, !state.exited { _ = sluice_eventfd_signal(wakeFD) }
            return state.stopped
        }
        guard !wasStopped else { return }
        finished.wait()
    }

    private func run() {
        thread.store(UInt(pthread_self()), ordering: .relaxed)
        ThreadName.set(name)
        _ = pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        defer { _ = pthread_setspecific(Self.currentKey, nil) }
        let capacity = 256
        var tags = [UInt64](repeating: 0, count: capacity)
        var events = [UInt32](repeating: 0, count: capacity)
        nextTick = MonotonicClock.now() &+ tickInterval
        var batch: [Work] = []
        var drainRounds = 0
        while true {
            let (hasWork, stop) = pending.withLock { state -> (Bool, Bool) in
                let hasWork = !state.work.isEmpty
                if !hasWork { state.sleeping = true }
                return (hasWork, state.stopped)
            }
            // Work submitted before the stop still runs (a bounded number of
            // rounds, so that work resubmitting itself cannot hold the stop).
            if stop {
                drainRounds += 1
                if !hasWork || drainRounds > 100 { break }
            }
            let now = MonotonicClock.now()
            let untilTick = nextTick > now ? Int32(min((nextTick - now) / 1_000_000 + 1, 1000)) : 0
            let count = sluice_epoll_wait(epfd, &tags, &events, Int32(capacity), hasWork || stop ? 0 : untilTick)
            pending.withLock { $0.sleeping = false }
            if count > 0 {
                for i in 0..<Int(count) {
                    let tag = tags[i]
                    if tag == 0 {
                        _ = sluice_eventfd_drain(wakeFD)
                        continue
                    }
                    // A handler removed earlier in this batch is skipped.
                    handlers[tag]?.handle(IOEvents(rawValue: events[i]))
                }
            }
            pending.withLock { swap(&batch, &$0.work) }
            for work in batch {
                switch work {
                case .closure(let closure): closure()
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            batch.removeAll(keepingCapacity: true)
            let after = MonotonicClock.now()
            if after >= nextTick {
                nextTick = after &+ tickInterval
                for ticker in tickers.values { ticker(after) }
            }
        }
        // Closures still queued (past the drain's bound) run once more, so
        // that work `executeUnlessStopped` accepted is never lost; anything
        // submitted from now on is dropped.
        let leftover = pending.withLock { state -> [Work] in
            state.exited = true
            defer { state.work.removeAll() }
            return state.work
        }
        for case .closure(let closure) in leftover { closure() }
        stranding = true
        let stranded = handlers.values
        handlers.removeAll()
        for handler in stranded { handler.loopStopped() }
        tickers.removeAll()
        Glibc.close(epfd)
        Glibc.close(wakeFD)
        finished.signal()
    }
}
