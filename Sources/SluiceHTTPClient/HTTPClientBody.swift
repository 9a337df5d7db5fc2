/// A response body delivered in chunks, in order. Iterating it throws
/// `HTTPClientError` when the transfer fails part way.
public struct HTTPClientBody: AsyncSequence, Sendable {
    /// One chunk of body bytes, as received.
    public typealias Element = [UInt8]
    let stream: AsyncThrowingStream<[UInt8], any Error>
    let consumed: @Sendable () -> Void

    /// A body over an existing stream of chunks (for test doubles).
    public init(_ stream: AsyncThrowingStream<[UInt8], any Error>) {
        self.init(stream, consumed: {})
    }

    /// A body whose producer learns of each chunk taken (backpressure).
    init(_ stream: AsyncThrowingStream<[UInt8], any Error>, consumed: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.consumed = consumed
    }

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let consumed: @Sendable () -> Void

        /// The next chunk, or `nil` at the end of the body.
        public mutating func next() async throws -> [UInt8]? {
            let chunk = try await base.next()
            if chunk != nil { consumed() }
            return chunk
        }
    }

    /// Starts iterating; a body is iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), consumed: consumed)
    }

    /// Collects the whole body, failing with `HTTPClientError.Code.responseTooLarge`
    /// past `limit` bytes. Default limit: unbounded.
    public func collect(upTo limit: Int = .max) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            if bytes.count + chunk.count > limit {
                throw HTTPClientError(.responseTooLarge, message: "body exceeds \(limit) bytes")
            }
            bytes += chunk
        }
        return bytes
    }
}
