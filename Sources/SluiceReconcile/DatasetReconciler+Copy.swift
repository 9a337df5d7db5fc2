import Foundation
import Logging
import SluiceDomain
import SluiceRecords

extension DatasetReconciler {
    /// Kept bytes are handed to the writer in blocks of about this size: 1 MiB.
    static let stagingBytes = 1 << 20

    /// `copying → profiling`: one full pass over the snapshot.
    func copy(_ work: DatasetWork) async throws {
        guard let source = S3URI(work.spec.sourceURI), let destination = S3URI(work.spec.destinationURI),
            let objects = work.sourceObjects
        else {
            return try await store.fail(datasetID: work.datasetID, version: work.version, reason: "the snapshot is missing", outputs: [])
        }
        try await store.beginCopy(datasetID: work.datasetID, version: work.version)
        // Only this dataset's worker writes under its destination, one pass at
        // a time, so any upload in progress there was left by a dead pass.
        let aborted: Int
        do {
            aborted = try await storage.abortUnfinishedUploads(bucket: destination.bucket, prefix: destination.prefix)
        } catch let error as ObjectStorageError {
            return try await store.fail(
                datasetID: work.datasetID, version: work.version, reason: Self.reason(error, source: nil), outputs: [])
        }
        let filter = RecordFilter(format: Self.format(work.spec.format), fundColumn: work.spec.fundColumn, approvedFunds: work.approvedFunds)
        let started = ContinuousClock.now
        var outputs: [DatasetOutput] = []
        var bytesRead = 0
        for (index, object) in objects.enumerated() {
            let key = destination.prefix + object.key.dropFirst(source.prefix.count)
            let writer = storage.writer(bucket: destination.bucket, key: key)
            let copy = ObjectCopy(filter: filter, writer: writer)
            do {
                try filter.begin(object: object.key)
                try await storage.read(bucket: source.bucket, key: object.key, etag: object.etag) { chunks in
                    try await copy.run(chunks)
                }
                // A cancelled task can see a body stream end early: never
                // complete an output from fewer bytes than the snapshot pinned.
                try Task.checkCancellation()
                guard copy.bytesRead == object.size else {
                    throw TruncatedRead(key: object.key, expected: object.size, read: copy.bytesRead)
                }
                let records = try await copy.end()
                let written = try await writer.finish()
                outputs.append(DatasetOutput(
                    uri: "s3://\(destination.bucket)/\(key)", sha256: written.sha256, records: records, size: written.size))
                bytesRead += copy.bytesRead
            } catch let error as ObjectStorageError {
                await writer.abort()
                return try await store.fail(
                    datasetID: work.datasetID, version: work.version, reason: Self.reason(error, source: object.key), outputs: outputs)
            } catch let error as RecordsError {
                await writer.abort()
                return try await store.fail(
                    datasetID: work.datasetID, version: work.version, reason: "source object \(object.key): \(error)", outputs: outputs)
            } catch {
                await writer.abort()
                throw error
            }
            try await store.recordProgress(datasetID: work.datasetID, version: work.version, progress: .object([
                "objects_done": .number(Double(index + 1)), "objects_total": .number(Double(objects.count)),
                "bytes_read": .number(Double(bytesRead)), "records_in": .number(Double(filter.recordsIn)),
                "records_out": .number(Double(filter.recordsOut)),
            ]))
        }
        let copySeconds = Self.seconds(since: started)
        var timings = work.timings?.objectValue ?? [:]
        timings["copy_seconds"] = .number(copySeconds)
        timings["bytes_read"] = .number(Double(bytesRead))
        timings["megabytes_per_second"] = .number(copySeconds > 0 ? Double(bytesRead) / 1_048_576 / copySeconds : 0)
        timings["uploads_aborted"] = .number(Double(aborted))
        try await store.recordCopied(
            datasetID: work.datasetID, version: work.version, outputs: outputs, recordsIn: filter.recordsIn,
            recordsOut: filter.recordsOut, recordsRejected: filter.rejected, quality: Self.quality(filter),
            timings: .object(timings))
        logger.debug("dataset copy done", metadata: [
            "dataset": "\(work.dataset)", "version": "\(work.version)", "objects": "\(objects.count)",
            "records_out": "\(filter.recordsOut)", "bytes_read": "\(bytesRead)",
        ])
    }

    /// Why a version failed, from a lasting refusal of the object store
    /// while copying `source` (a source object's key; `nil` before any).
    static func reason(_ error: ObjectStorageError, source: String?) -> String {
        switch error.code {
        case .changed:
            "source object \(error.key) changed during the copy (\(error.detail)); nothing was mixed"
        case .notFound where error.key == source:
            "source object \(error.key) disappeared during the copy"
        case .notFound:
            "\(error.key) was not found (\(error.detail))"
        case .denied:
            "access to \(error.key) was refused (\(error.detail))"
        case .refused:
            "S3 refused \(error.key) (\(error.detail)); retrying would not help"
        }
    }

    static func format(_ format: DatasetFormat) -> RecordFilter.Format {
        switch format {
        case .csv: .csv
        case .csvGzip: .csvGzip
        case .jsonl: .jsonl
        }
    }
}

/// A source object's body ended before its pinned size: the pass is
/// retried (the output was aborted, nothing was completed).
struct TruncatedRead: Error, CustomStringConvertible {
    let key: String
    let expected: Int
    let read: Int

    var description: String { "source object \(key): read \(read) of \(expected) bytes" }
}

/// One object's copy: the filter's output staged and handed to the writer
/// a block at a time. Confined to the reconcile task: besides that task it
/// is touched only inside ``ObjectStorage/read(bucket:key:etag:_:)``'s
/// callback, which that task awaits, so never concurrently.
final class ObjectCopy: @unchecked Sendable {
    let filter: RecordFilter
    let writer: any ObjectWriter
    private var staged: [UInt8] = []
    private(set) var bytesRead = 0

    init(filter: RecordFilter, writer: any ObjectWriter) {
        self.filter = filter
        self.writer = writer
    }

    func run(_ chunks: ObjectChunks) async throws {
        while let chunk = try await chunks.next() {
            bytesRead += chunk.count
            try chunk.withUnsafeBytes { bytes in try filter.feed(bytes) { staged.append(contentsOf: $0) } }
            if staged.count >= DatasetReconciler.stagingBytes { try await drain() }
        }
    }

    /// Ends the object; returns its records kept.
    func end() async throws -> Int {
        let records = try filter.end { staged.append(contentsOf: $0) }
        try await drain()
        return records
    }

    private func drain() async throws {
        guard !staged.isEmpty else { return }
        try await writer.write(staged)
        staged.removeAll(keepingCapacity: true)
    }
}
