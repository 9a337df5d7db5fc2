public import Foundation
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The append-only journal on local disk: a folder of segment files, one
/// per flushed batch, named by a sequence number so that listing them
/// sorted gives them oldest first. A segment is written to a `.tmp` name,
/// `fsync`ed, renamed into place and the folder `fsync`ed, so a segment
/// either exists whole or not at all, whatever crash comes. Segments are
/// removed only after the store has taken their records.
///
/// File I/O blocks, so it runs on the journal's own serial queue, never on
/// the cooperative pool (STYLE.md §4).
public final class Journal: Sendable {
    /// The folder.
    public let directory: URL
    private let queue = DispatchQueue(label: "sluice.gateway.journal")
    private let nextSequence: Mutex<UInt64>

    /// Opens (creating) the folder, removes half-written `.tmp` files left by
    /// a crash and continues the numbering after the newest segment.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GatewayError(.journalWrite, "cannot create \(directory.path): \(error)")
        }
        let names = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".tmp") {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
        let last = names.compactMap(Self.sequence(of:)).max() ?? 0
        nextSequence = Mutex(last + 1)
    }

    /// `segment-00000000000000000042.jsonl` → 42.
    static func sequence(of name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".jsonl") else { return nil }
        return UInt64(name.dropFirst("segment-".count).dropLast(".jsonl".count))
    }

    static func name(of sequence: UInt64) -> String {
        let digits = String(sequence)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".jsonl"
    }

    /// Writes `bytes` as the next segment, durably.
    public func append(_ bytes: [UInt8]) async throws {
        let sequence = nextSequence.withLock { value in
            defer { value += 1 }
            return value
        }
        let final = directory.appendingPathComponent(Self.name(of: sequence))
        try await onQueue { try Self.writeDurably(bytes, to: final, directory: self.directory) }
    }

    /// Segment files, oldest first.
    public func segments() async -> [URL] {
        (try? await onQueue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: self.directory.path)) ?? []
            return names.filter { Self.sequence(of: $0) != nil }.sorted().map { self.directory.appendingPathComponent($0) }
        }) ?? []
    }

    /// The bytes of one segment.
    public func read(_ segment: URL) async throws -> [UInt8] {
        try await onQueue {
            guard let data = FileManager.default.contents(atPath: segment.path) else {
                throw GatewayError(.journalRead, "cannot read \(segment.path)")
            }
            return [UInt8](data)
        }
    }

    /// Removes a segment whose records are stored.
    public func remove(_ segment: URL) async throws {
        try await onQueue {
            guard unlink(segment.path) == 0 || errno == ENOENT else {
                throw GatewayError(.journalRead, "cannot remove \(segment.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private static func writeDurably(_ bytes: [UInt8], to final: URL, directory: URL) throws {
        let temporary = final.path + ".tmp"
        func fail(_ step: String) -> GatewayError {
            GatewayError(.journalWrite, "\(step) \(temporary): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("open") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + written, buffer.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let error = fail("write")
                close(fd)
                unlink(temporary)
                throw error
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let error = fail("fsync")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, final.path) == 0 else {
            let error = fail("rename")
            unlink(temporary)
            throw error
        }
        // The rename itself is durable only once the folder is synced.
        let dirFD = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }
}
