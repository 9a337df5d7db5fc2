public import Foundation
public import SluiceDomain
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The append-only journal on local disk: a folder of segment files named by
/// a sequence number, so that listing them sorted gives them oldest first.
///
/// Writes go to the open segment (`segment-<seq>.jsonl.open`). ``append(_:predictions:)``
/// writes and `fdatasync`s before it returns, so a record is on disk once
/// its append returns; ``appendUnsynced(_:predictions:)`` only writes, so a
/// record survives a crash of the process once it returns, and the segment
/// is synced when sealed. Many appends cost no new file each. The open
/// segment is sealed — synced if needed, closed, renamed to
/// `segment-<seq>.jsonl`, the folder `fsync`ed — when it holds `sealAfter`
/// synced appends or on ``seal(olderThan:)``; only sealed segments are
/// listed for upload. At start an open segment left by a crash is sealed as
/// it is (a torn last line, never acknowledged, is skipped when read).
/// Segments are removed only after the store has taken their records.
///
/// File I/O that waits for the disk (`fdatasync`, sealing, listing, reading,
/// removing) runs on the journal's own serial queue, never on the
/// cooperative pool (STYLE.md §4). An unsynced append, a `write` into the
/// page cache, runs on the caller's thread (decision 63).
///
/// The predictions of segments this process wrote are also kept in memory
/// (up to `keepInMemory` records) until the segment is removed, so the
/// uploader takes them as they are instead of reading and parsing the file
/// back; after a restart, or past the limit, it reads the file.
public final class Journal: Sendable {
    /// A segment's predictions, in the order they were written; `complete`
    /// is false once an append to it was not kept.
    struct Kept {
        var predictions: [Prediction] = []
        var complete = true
    }

    struct OpenSegment {
        var fd: Int32
        var sequence: UInt64
        var appends: Int
        var openedAt: ContinuousClock.Instant
        /// Written by ``Journal/appendUnsynced(_:predictions:)`` since its
        /// last `fdatasync`: sealing syncs it first.
        var unsynced = false
    }

    /// The folder.
    public let directory: URL
    private let sealAfter: Int
    private let queue = DispatchQueue(label: "sluice.gateway.journal")
    private let nextSequence: Mutex<UInt64>
    private let open = Mutex<OpenSegment?>(nil)
    /// Segments taken out of use by ``detach(olderThan:)``, oldest first,
    /// waiting for ``sealDetached()``.
    private let detached = Mutex<[OpenSegment]>([])
    private let keepInMemory: Int
    private let kept = Mutex<(segments: [UInt64: Kept], count: Int)>(([:], 0))

    /// Opens (creating) the folder, removes half-written `.tmp` files, seals
    /// a segment left open by a crash and continues the numbering after the
    /// newest segment. A segment is sealed after `sealAfter` appends. At
    /// most `keepInMemory` predictions are kept for the uploader. Defaults 64, 100,000.
    public init(directory: URL, sealAfter: Int = 64, keepInMemory: Int = 100_000) throws {
        self.directory = directory
        self.sealAfter = max(1, sealAfter)
        self.keepInMemory = max(0, keepInMemory)
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
        var last: UInt64 = 0
        for name in names where name.hasSuffix(".open") {
            let sealed = String(name.dropLast(".open".count))
            guard let sequence = Self.sequence(of: sealed) else { continue }
            last = max(last, sequence)
            guard rename(directory.appendingPathComponent(name).path, directory.appendingPathComponent(sealed).path) == 0 else {
                throw GatewayError(.journalWrite, "cannot seal \(name): \(String(cString: strerror(errno)))")
            }
        }
        last = max(last, names.compactMap(Self.sequence(of:)).max() ?? 0)
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

    /// Appends `bytes` (whole lines) to the open segment, durably.
    /// `predictions` are what the lines encode, kept for ``predictions(of:)``.
    public func append(_ bytes: [UInt8], predictions: [Prediction] = []) async throws {
        try await onQueue { try self.appendBlocking(bytes, predictions: predictions, sync: true) }
    }

    /// Appends `bytes` (whole lines) to the open segment on the calling
    /// thread, without waiting for the disk: once it returns the lines are
    /// in the file (the kernel's page cache), so a crash of this process
    /// cannot lose them; the segment is `fdatasync`ed when it is sealed
    /// (decision 63). It never seals or syncs, so it costs a `write` (and an
    /// `open` for the first append of a segment). Safe from any thread:
    /// appends and ``detach(olderThan:)`` hold the open segment's lock.
    public func appendUnsynced(_ bytes: [UInt8], predictions: [Prediction] = []) throws {
        try appendBlocking(bytes, predictions: predictions, sync: false)
    }

    /// The predictions of a sealed segment this process wrote whole, as
    /// written; `nil` when they must be read from the file.
    public func predictions(of segment: URL) -> [Prediction]? {
        guard let sequence = Self.sequence(of: segment.lastPathComponent) else { return nil }
        return kept.withLock { kept in
            guard let entry = kept.segments[sequence], entry.complete else { return nil }
            return entry.predictions
        }
    }

    private func keep(_ predictions: [Prediction], in sequence: UInt64) {
        kept.withLock { kept in
            let complete = kept.segments[sequence]?.complete ?? true
            if complete, !predictions.isEmpty, kept.count + predictions.count <= keepInMemory {
                // In place: copying the segment's array out and back would
                // copy it on every append, and appends come per request.
                kept.segments[sequence, default: Kept()].predictions.append(contentsOf: predictions)
                kept.count += predictions.count
            } else {
                kept.count -= kept.segments[sequence]?.predictions.count ?? 0
                kept.segments[sequence] = Kept(predictions: [], complete: false)
            }
        }
    }

    private func forget(_ sequence: UInt64) {
        kept.withLock { kept in
            if let entry = kept.segments.removeValue(forKey: sequence) { kept.count -= entry.predictions.count }
        }
    }

    /// Seals the open segment if it was opened at least `age` ago (`.zero`:
    /// whatever its age), so the uploader can take it.
    public func seal(olderThan age: Duration = .zero) async throws {
        detach(olderThan: age)
        try await sealDetached()
    }

    /// Takes the open segment out of use if it was opened at least `age`
    /// ago, without I/O: the next append opens a new one. Callers serialise
    /// it with appends; ``sealDetached()`` then does the slow part (sync,
    /// rename, folder sync) without holding appends up.
    public func detach(olderThan age: Duration = .zero) {
        open.withLock { open in
            guard let segment = open, ContinuousClock.now - segment.openedAt >= age else { return }
            open = nil
            detached.withLock { $0.append(segment) }
        }
    }

    /// Seals every detached segment, oldest first; the first failure is
    /// reported after all were tried.
    public func sealDetached() async throws {
        try await onQueue {
            let segments = self.detached.withLock { detached in
                defer { detached.removeAll() }
                return detached
            }
            var failure: (any Error)?
            for segment in segments {
                do { try self.sealBlocking(segment) } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
        }
    }

    /// Sealed segment files, oldest first.
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
            if let sequence = Self.sequence(of: segment.lastPathComponent) { self.forget(sequence) }
        }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func path(_ sequence: UInt64, open: Bool) -> String {
        directory.appendingPathComponent(Self.name(of: sequence)).path + (open ? ".open" : "")
    }

    private func fail(_ step: String, _ path: String) -> GatewayError {
        GatewayError(.journalWrite, "\(step) \(path): \(String(cString: strerror(errno)))")
    }

    /// What an append did, decided under the lock; the slow part (sealing)
    /// happens after it is released.
    private enum AppendOutcome {
        /// Written; `seal` is a segment that reached `sealAfter`.
        case written(seal: OpenSegment?)
        /// Failed; `seal` is the segment it may have torn, sealed as it is
        /// (reading skips a torn line) so the next append starts a new one.
        case failed(GatewayError, seal: OpenSegment?)
    }

    /// The whole append holds the open segment's lock, so appends from
    /// several threads (unsynced ones come from request threads) and
    /// ``detach(olderThan:)`` never interleave within a segment.
    private func appendBlocking(_ bytes: [UInt8], predictions: [Prediction], sync: Bool) throws {
        let outcome: AppendOutcome = open.withLock { current in
            var segment: OpenSegment
            if let existing = current {
                segment = existing
            } else {
                let sequence = nextSequence.withLock { value in
                    defer { value += 1 }
                    return value
                }
                let fd = Glibc.open(path(sequence, open: true), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
                guard fd >= 0 else { return .failed(fail("open", path(sequence, open: true)), seal: nil) }
                // The new name must survive a crash too (an unsynced segment's
                // name is synced with its contents, when it is sealed).
                if sync { syncDirectory() }
                segment = OpenSegment(fd: fd, sequence: sequence, appends: 0, openedAt: .now)
            }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { buffer -> Int in
                    guard let base = buffer.baseAddress else { return 0 }
                    return write(segment.fd, base + written, buffer.count - written)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    current = nil
                    return .failed(fail("write", path(segment.sequence, open: true)), seal: segment)
                }
                written += n
            }
            if sync {
                guard fdatasync(segment.fd) == 0 else {
                    current = nil
                    return .failed(fail("fdatasync", path(segment.sequence, open: true)), seal: segment)
                }
            } else {
                segment.unsynced = true
            }
            keep(predictions, in: segment.sequence)
            segment.appends += 1
            if sync, segment.appends >= sealAfter {
                current = nil
                return .written(seal: segment)
            }
            current = segment
            return .written(seal: nil)
        }
        switch outcome {
        case .written(let seal):
            if let seal { try sealBlocking(seal) }
        case .failed(let error, let seal):
            if let seal { try? sealBlocking(seal) }
            throw error
        }
    }

    /// Syncs what was appended unsynced, closes the segment, gives it its
    /// sealed name and syncs the folder. A failed `fdatasync` still seals
    /// it (its lines are in the file for the uploader; only a crash of the
    /// machine could lose them) and is reported.
    private func sealBlocking(_ segment: OpenSegment) throws {
        open.withLock { open in
            if open?.sequence == segment.sequence { open = nil }
        }
        let synced = !segment.unsynced || fdatasync(segment.fd) == 0
        let syncError = synced ? nil : fail("fdatasync", path(segment.sequence, open: true))
        close(segment.fd)
        let from = path(segment.sequence, open: true)
        guard rename(from, path(segment.sequence, open: false)) == 0 else { throw fail("rename", from) }
        syncDirectory()
        if let syncError { throw syncError }
    }

    private func syncDirectory() {
        let fd = Glibc.open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
