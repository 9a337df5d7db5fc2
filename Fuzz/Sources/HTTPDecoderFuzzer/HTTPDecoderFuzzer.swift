import SluiceHTTP

/// libFuzzer entry point: decodes the input whole, then split in two at a
/// position taken from the first byte, under the default limits and under
/// tight ones, and traps when an invariant breaks.
///
/// Invariants:
/// - the decoder never crashes and never loops without consuming input;
/// - events come in order (`head`, `body`*, `end`), a sized body is exactly
///   its `Content-Length`, and no more body bytes come out than went in;
/// - errors carry one of the statuses the decoder documents;
/// - once it has thrown, it keeps throwing, even when given more bytes;
/// - how the bytes are split does not change what is decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = size == 0 ? 0 : Int(bytes[0]) * size / 255
    for limits in [HTTPParserLimits(), tightLimits] {
        let whole = Transcript(decoding: [bytes[...]], limits: limits)
        let halves = Transcript(decoding: [bytes[..<split], bytes[split...]], limits: limits)
        guard whole == halves else {
            fatalError("split at \(split) decodes differently:\nwhole:  \(whole)\nhalves: \(halves)")
        }
    }
    return 0
}

/// Limits that inputs of at most 4 KiB (`-max_len=4096`) can exceed, so the
/// 414 and 431 paths are fuzzed too; the defaults are 8 KiB and 16 KiB.
let tightLimits: HTTPParserLimits = {
    var limits = HTTPParserLimits()
    limits.maxRequestLineLength = 64
    limits.maxHeadLength = 256
    limits.maxHeaderCount = 8
    limits.maxChunkLineLength = 24
    limits.maxTrailerLength = 64
    return limits
}()

/// The statuses `HTTPParseError` documents for the decoder.
let decoderStatuses: Set<Int> = [400, 414, 417, 431, 501, 505]

/// What a decoder made of some input, independent of how it was split.
struct Transcript: Equatable, CustomStringConvertible {
    /// Per request: the head's method, target, version and framing, then
    /// the body bytes, and whether `.end` came.
    var requests: [(head: String, body: [UInt8], ended: Bool)] = []
    /// The first error, as status and reason.
    var error: String?

    static func == (lhs: Transcript, rhs: Transcript) -> Bool {
        lhs.error == rhs.error
            && lhs.requests.elementsEqual(rhs.requests) { $0.head == $1.head && $0.body == $1.body && $0.ended == $1.ended }
    }

    var description: String {
        let parts = requests.map { "\($0.head) body=\($0.body.count)B\($0.ended ? " end" : "")" }
        return parts.joined(separator: "; ") + (error.map { " error=\($0)" } ?? "")
    }

    init(decoding pieces: [ArraySlice<UInt8>], limits: HTTPParserLimits) {
        var decoder = HTTPRequestDecoder(limits: limits)
        var buffer = InputBuffer()
        var appended = 0
        var bodyBytes = 0
        var remaining: Int?  // Content-Length bytes still due for the current request
        for piece in pieces {
            buffer.append(contentsOf: piece)
            appended += piece.count
            var events = 0
            while true {
                events += 1
                check(events <= 2 * buffer.bytes.count + 8, "events without progress")
                let event: HTTPRequestDecoder.Event?
                do {
                    event = try decoder.next(&buffer)
                } catch {
                    check(decoderStatuses.contains(error.status.code), "undocumented status \(error.status)")
                    self.error = "\(error.status.code) \(error.reason)"
                    Self.expectStillFailing(&decoder, &buffer)
                    return
                }
                guard let event else { break }
                let consumed = appended - buffer.readableCount
                switch event {
                case .head(let head):
                    check(requests.last?.ended ?? true, "head before the previous request ended")
                    requests.append(("\(head.method) \(head.target) \(head.version) \(head.framing)", [], false))
                    if case .length(let n) = head.framing {
                        check(n > 0, "zero Content-Length framed as a body")
                        remaining = n
                    } else {
                        remaining = nil
                    }
                case .body(let slice):
                    check(!(requests.last?.ended ?? true), "body outside a request")
                    check(!slice.isEmpty, "empty body event")
                    bodyBytes += slice.count
                    check(bodyBytes <= consumed, "more body bytes than bytes consumed")
                    if let due = remaining {
                        check(slice.count <= due, "body beyond Content-Length")
                        remaining = due - slice.count
                    }
                    requests[requests.count - 1].body += slice
                case .end:
                    check(!(requests.last?.ended ?? true), "end outside a request")
                    check(remaining ?? 0 == 0, "end before Content-Length bytes arrived")
                    requests[requests.count - 1].ended = true
                    remaining = nil
                }
            }
        }
    }

    /// After an error the decoder must not resynchronise: every later call
    /// throws, with or without new bytes.
    private static func expectStillFailing(_ decoder: inout HTTPRequestDecoder, _ buffer: inout InputBuffer) {
        for more in [[], Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)] {
            buffer.append(contentsOf: more)
            do {
                _ = try decoder.next(&buffer)
                fatalError("decoder recovered after an error")
            } catch {}
        }
    }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}
