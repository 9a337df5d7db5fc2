import Logging
import SluiceHTTP
import SluicePostgres
import Testing
@testable import SluiceApp

/// Which database failures the API answers 503, with or without
/// `Retry-After`, and which stay 500.
@Suite struct DatabaseErrorsTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func answer(_ error: any Error, _ method: HTTPMethod = .get) -> (status: HTTPStatus, retry: String?)? {
        guard let translated = DatabaseErrors.translate(
            error, request: HTTPRequest(head: HTTPRequestHead(method: method, target: "/v1/x", headers: ["Host": "t"]), body: []),
            logger: logger) else { return nil }
        let response = translated.response()
        return (response.status, response.headers["Retry-After"])
    }

    @Test func safeToRetry_is503WithRetryAfter() {
        for code in [PGError.Code.connectionFailed, .closed, .poolExhausted] {
            for method in [HTTPMethod.get, .post] {
                let answer = Self.answer(PGError(code: code, message: "x"), method)
                #expect(answer?.status == .serviceUnavailable && answer?.retry == "5", "\(code) \(method)")
            }
        }
        for state in ["08006", "53300", "57P01", "57P03", "40001", "40P01", "25006", "55P03"] {
            let answer = Self.answer(PGError(code: .queryFailed, message: "x", sqlState: state), .post)
            #expect(answer?.status == .serviceUnavailable && answer?.retry == "5", "\(state)")
        }
        let read = Self.answer(PGError(code: .connectionLost, message: "x"), .get)
        #expect(read?.status == .serviceUnavailable && read?.retry == "5")
    }

    @Test func aBrokenWriteOrATimeout_is503WithoutRetryAfter() {
        for method in [HTTPMethod.post, .put, .patch, .delete] {
            let answer = Self.answer(PGError(code: .connectionLost, message: "x"), method)
            #expect(answer?.status == .serviceUnavailable && answer?.retry == nil, "\(method)")
        }
        let slow = Self.answer(PGError(code: .timeout, message: "x"), .get)
        #expect(slow?.status == .serviceUnavailable && slow?.retry == nil)
    }

    @Test func everythingElse_isLeftTo500() {
        for state in ["23505", "22P02", "42P01", "08P01", nil] {
            #expect(Self.answer(PGError(code: .queryFailed, message: "x", sqlState: state)) == nil, "\(state ?? "none")")
        }
        #expect(Self.answer(PGError(code: .decoding, message: "x")) == nil)
        #expect(Self.answer(PGError(code: .migration, message: "x")) == nil)
        #expect(Self.answer(CancellationError()) == nil)
    }
}
