#if canImport(Glibc)
import Glibc
#endif

/// Process-wide limits a server needs.
enum ProcessLimits {
    /// Raises the soft open-file limit to the hard limit, so the connection
    /// cap, not the default 1,024 descriptors, bounds concurrent clients.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Ignores SIGPIPE: a client that vanishes mid-write must cost an EPIPE, not the process.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
