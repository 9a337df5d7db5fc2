import Logging
import SluiceHTTP
import SluicePostgres
import Testing
@testable import SluiceApp

/// Which database failures the API answers 503 (retry) and which stay 500.
@Suite struct DatabaseErrorsTests {
    static func status(_ error: any Error) -> HTTPStatus? {
        DatabaseErrors.translate(error, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))?.status
    }

    @Test func unreachableBusyOrTransient_is503_theRestIsLeftTo500() {
        for code in [PGError.Code.connectionFailed, .connectionLost, .closed, .poolExhausted, .timeout] {
            #expect(Self.status(PGError(code: code, message: "x")) == .serviceUnavailable, "\(code)")
        }
        for state in ["08006", "53300", "57P01", "57P03", "40001", "40P01"] {
            #expect(Self.status(PGError(code: .queryFailed, message: "x", sqlState: state)) == .serviceUnavailable, "\(state)")
        }
        for state in ["23505", "22P02", "42P01", nil] {
            #expect(Self.status(PGError(code: .queryFailed, message: "x", sqlState: state)) == nil, "\(state ?? "none")")
        }
        #expect(Self.status(PGError(code: .decoding, message: "x")) == nil)
        #expect(Self.status(PGError(code: .migration, message: "x")) == nil)
        #expect(Self.status(CancellationError()) == nil)
    }
}
