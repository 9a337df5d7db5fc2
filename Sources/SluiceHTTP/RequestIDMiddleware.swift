import Logging
import SluiceSockets

/// Takes the client's `X-Request-Id` when it is a sane token (at most 128
/// characters of letters, digits and `-_.:`), otherwise makes one, and
/// returns it on the response. The id also goes into the request's logger.
public struct RequestIDMiddleware: HTTPMiddleware {
    /// The header carrying the id in and out.
    public static let header = "X-Request-Id"

    /// Creates the middleware.
    public init() {}

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.validated) ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers.replaceOrAdd(name: Self.header, value: id)
        return response
    }

    static func validated(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128 else { return nil }
        let ok = value.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
        }
        return ok ? value : nil
    }

    /// 128 random bits as 32 lowercase hex digits.
    public static func generate() -> String {
        let words = SystemRandom.next128()
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var i = 0
            for word in [words.0, words.1] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[i] = hexDigits[Int((word >> UInt64(shift)) & 0xF)]
                    i += 1
                }
            }
            return 32
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
