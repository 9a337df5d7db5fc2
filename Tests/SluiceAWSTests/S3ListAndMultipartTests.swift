import Foundation
import SluiceAWS
import SluiceHTTPClient
import Synchronization
import Testing

/// Listing past one page, and multipart uploads, against moto.
@Suite("S3 listing and multipart against moto")
struct S3ListAndMultipartTests {
    @Test func listObjects_followsContinuationTokensPastAThousandObjects() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let count = 1_050
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 8) {
                        try await clients.s3.putObject(bucket: bucket, key: String(format: "many/%05d", index), body: [UInt8(index % 256)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let first = try await clients.s3.listObjectsPage(bucket: bucket, prefix: "many/")
        #expect(first.objects.count == 1000)
        #expect(first.nextContinuationToken != nil)
        let all = try await clients.s3.listAllObjects(bucket: bucket, prefix: "many/")
        #expect(all.count == count)
        #expect(all.map(\.key) == (0..<count).map { String(format: "many/%05d", $0) })
        #expect(all.allSatisfy { $0.size == 1 })
        var small = 0
        for try await _ in clients.s3.listObjects(bucket: bucket, prefix: "many/0000", pageSize: 3) { small += 1 }
        #expect(small == 10)
    }

    @Test func upload_64MiB_goesMultipartAndStreamsBackIdentical() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let size = 64 << 20
        let chunk = 1 << 20
        let source = ChunkSource(size: size, chunk: chunk)
        let etag = try await clients.s3.upload(bucket: bucket, key: "big/64 MiB+object", next: { source.next() })
        #expect(etag.hasSuffix("-8\""))  // 8 parts of 8 MiB
        #expect(try await clients.s3.headObject(bucket: bucket, key: "big/64 MiB+object").size == size)
        let (received, matches) = try await clients.s3.getObject(bucket: bucket, key: "big/64 MiB+object") { _, body in
            var received = 0
            var matches = true
            for try await piece in body {
                matches = matches && Pattern.matches(piece, at: received)
                received += piece.count
            }
            return (received, matches)
        }
        #expect(received == size)
        #expect(matches)
    }

    @Test func upload_whoseSourceFails_abortsTheMultipartUpload() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let source = ChunkSource(size: 20 << 20, chunk: 1 << 20, failAfter: 12 << 20)
        await #expect(throws: SourceFailure.self) {
            try await clients.s3.upload(bucket: bucket, key: "broken", next: { try source.nextOrFail() })
        }
        #expect(try await clients.s3.listMultipartUploads(bucket: bucket).isEmpty)
        await #expect(throws: AWSError.self) { try await clients.s3.headObject(bucket: bucket, key: "broken") }
    }

    @Test func uploadListing_takesOnlyThePrefix() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        for key in ["a/1", "a/2", "b/1", "a"] {
            _ = try await clients.s3.createMultipartUpload(bucket: bucket, key: key)
        }
        #expect(try await clients.s3.listMultipartUploads(bucket: bucket, prefix: "a/").map(\.key).sorted() == ["a/1", "a/2"])
        #expect(try await clients.s3.listMultipartUploads(bucket: bucket).count == 4)
    }

    @Test func upload_ofLessThanOnePart_isOnePut() async throws {
        let clients = try await MotoClients.make()
        let bucket = try await clients.makeBucket()
        let source = ChunkSource(size: 3 << 20, chunk: 100_000)
        let etag = try await clients.s3.upload(bucket: bucket, key: "small", next: { source.next() })
        #expect(!etag.contains("-"))
        #expect(try await clients.s3.headObject(bucket: bucket, key: "small").size == 3 << 20)
    }
}

struct SourceFailure: Error {}

/// A body of `size` pattern bytes handed out `chunk` bytes at a time.
final class ChunkSource: Sendable {
    let size: Int
    let chunk: Int
    let failAfter: Int?
    private let offset = Mutex(0)

    init(size: Int, chunk: Int, failAfter: Int? = nil) {
        self.size = size
        self.chunk = chunk
        self.failAfter = failAfter
    }

    func next() -> [UInt8]? {
        offset.withLock { offset in
            guard offset < size else { return nil }
            let count = min(chunk, size - offset)
            let bytes = Pattern.bytes(at: offset, count: count)
            offset += count
            return bytes
        }
    }

    func nextOrFail() throws -> [UInt8]? {
        if let failAfter, offset.withLock({ $0 }) >= failAfter { throw SourceFailure() }
        return next()
    }
}

/// Byte `i` of a pattern body is `i % 251`; slices come from one precomputed
/// buffer and comparisons use `memcmp`, so 64 MiB checks fast in debug builds.
enum Pattern {
    static let maxChunk = 4 << 20
    static let buffer: [UInt8] = (0..<(251 + maxChunk)).map { UInt8($0 % 251) }

    static func bytes(at offset: Int, count: Int) -> [UInt8] {
        precondition(count <= maxChunk)
        let start = offset % 251
        return Array(buffer[start..<start + count])
    }

    static func matches(_ piece: [UInt8], at offset: Int) -> Bool {
        var position = 0
        while position < piece.count {
            let count = min(maxChunk, piece.count - position)
            let start = (offset + position) % 251
            let equal = piece.withUnsafeBytes { mine in
                buffer.withUnsafeBytes { theirs in
                    memcmp(mine.baseAddress! + position, theirs.baseAddress! + start, count) == 0
                }
            }
            if !equal { return false }
            position += count
        }
        return true
    }
}
