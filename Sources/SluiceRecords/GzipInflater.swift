internal import CZlib

/// Streaming gzip decompression (RFC 1952) through zlib's `inflate`.
/// Concatenated members (what `cat a.gz b.gz` or pigz make) are read as one
/// stream, as `gzip -d` does. Holds zlib's 32 KiB window and one output block.
public final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    /// Whether the last member ended exactly at the end of the input so far.
    private var atMemberEnd = true
    private var sawInput = false

    /// A decoder producing blocks of up to `blockSize` bytes (default 256 KiB).
    public init(blockSize: Int = 256 << 10) throws(RecordsError) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: blockSize)
        let status = sluice_inflate_init_gzip(stream)
        guard status == Z_OK else {
            stream.deallocate()
            throw RecordsError(.zlib, "inflateInit2 returned \(status)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Decompresses `input`, handing each produced block to `sink` (valid only during the call).
    public func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        sawInput = true
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let before = stream.pointee.avail_in
            let (status, produced) = output.withUnsafeMutableBytes { out -> (Int32, Int) in
                stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count)
                let status = inflate(stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.pointee.avail_out))
            }
            if stream.pointee.avail_in < before { atMemberEnd = false }
            if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            switch status {
            case Z_STREAM_END:
                // Another member may follow: start over on the remaining input.
                atMemberEnd = true
                guard inflateReset(stream) == Z_OK else { throw RecordsError(.zlib, "inflateReset failed") }
                if stream.pointee.avail_in == 0 { return }
            case Z_OK:
                if stream.pointee.avail_in == 0 && produced < output.count { return }
            case Z_BUF_ERROR:
                return  // no progress without more input
            default:
                throw RecordsError(.corruptGzip, "inflate returned \(status)")
            }
        }
    }

    /// Checks that the input ended at the end of a gzip member (or was empty).
    public func finish() throws(RecordsError) {
        if sawInput && !atMemberEnd { throw RecordsError(.corruptGzip, "the gzip stream is truncated") }
    }
}
