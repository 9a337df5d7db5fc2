import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one libc call SluicePostgres makes itself.
enum PGSocket {
    /// Whether `fd` has input (or end of file) waiting, without blocking.
    static func isReadable(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }
}
