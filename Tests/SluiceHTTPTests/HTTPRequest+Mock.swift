import Logging
@testable import SluiceHTTP

extension HTTPRequest {
    /// A request as the decoder would hand it to a responder: HTTP/1.1, with
    /// `Host` unless `headers` are given.
    static func mock(_ method: HTTPMethod, _ target: String, headers: HTTPHeaders = ["Host": "test"], body: [UInt8] = []) -> HTTPRequest {
        HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: headers), body: body)
    }

    /// A GET request (see the other `mock`).
    static func mock(_ target: String, headers: HTTPHeaders = ["Host": "test"]) -> HTTPRequest {
        mock(.get, target, headers: headers)
    }
}

extension HTTPResponse {
    /// The body of a sized response (empty for a stream).
    var bodyBytes: [UInt8] {
        if case .bytes(let bytes) = body { return bytes }
        return []
    }

    var bodyText: String { String(decoding: bodyBytes, as: UTF8.self) }
}

extension Logger {
    /// A logger that drops everything, for tests that provoke error logs.
    static let silent = Logger(label: "sluice.test.silent") { _ in SwiftLogNoOpLogHandler() }
}
