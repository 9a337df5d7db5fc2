internal import CZlib

/// Streaming gzip compression (RFC 1952) through zlib's `deflate`, level 6
/// (gzip's default). Holds zlib's state (about 256 KiB) and one output block.
public final class GzipDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]

    /// An encoder producing blocks of up to `blockSize` bytes (default 256 KiB).
    public init(level: Int32 = 6, blockSize: Int = 256 << 10) throws(RecordsError) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = [UInt8](repeating: 0, count: blockSize)
        let status = sluice_deflate_init_gzip(stream, level)
        guard status == Z_OK else {
            stream.deallocate()
            throw RecordsError(.zlib, "deflateInit2 returned \(status)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `input`, handing compressed blocks to `sink` as they fill.
    public func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard input.count > 0 else { return }
        try run(input, flush: Z_NO_FLUSH, sink)
    }

    /// Ends the stream (trailer with CRC-32 and size), handing the last blocks to `sink`.
    public func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, sink)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let (status, produced) = output.withUnsafeMutableBytes { out -> (Int32, Int) in
                stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count)
                let status = deflate(stream, flush)
                return (status, out.count - Int(stream.pointee.avail_out))
            }
            if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw RecordsError(.zlib, "deflate returned \(status)") }
            // Done with this input once zlib left output room to spare.
            if flush != Z_FINISH, stream.pointee.avail_in == 0, stream.pointee.avail_out > 0 { return }
        }
    }
}
