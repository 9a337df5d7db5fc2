import Logging
import SluiceAPI
import SluiceDomain
import SluiceHTTP
import SluicePostgres

/// Database failures answered 503 instead of 500 (decision 73).
///
/// With `Retry-After`, when sending the request again is safe: the database
/// cannot be reached, every pooled connection is busy, or the server
/// reported a transient condition (connection failure, shutting down, out
/// of connections or resources, read-only after a failover, a lock not
/// available, a serialization failure or deadlock left after the store's
/// own retries); and when a read's connection broke. Without it, when a
/// retry needs thought: a write whose connection broke (it may have taken
/// effect), or a statement that ran past its timeout (the same request is
/// likely to time out again). Anything else stays a 500.
enum DatabaseErrors {
    /// SQLSTATEs a retry may get past.
    static func isTransient(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        if sqlState == "08P01" { return false }  // protocol violation: a bug
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P")
            || ["40001", "40P01", "25006", "55P03"].contains(sqlState)
    }

    /// An ``HTTPErrorTranslator`` for ``PGError``s; logs what it translates.
    static func translate(_ error: any Error, request: HTTPRequest, logger: Logger) -> (any HTTPResponseError)? {
        guard let error = error as? PGError else { return nil }
        // `DomainError.unavailable` is the API's retry answer (`Retry-After`);
        // the others are 503s a client should not simply repeat.
        let answer: any HTTPResponseError
        switch error.code {
        case .connectionFailed, .closed:
            answer = DomainError.unavailable("the database is unavailable; try again shortly")
        case .poolExhausted:
            answer = DomainError.unavailable("the database is busy; try again shortly")
        case .connectionLost where [.get, .head, .options].contains(request.method):
            answer = DomainError.unavailable("the database connection broke; try again shortly")
        case .connectionLost:
            answer = APIProblem(.serviceUnavailable,
                detail: "the database connection broke during this request; it may or may not have taken effect: check before sending it again")
        case .timeout:
            answer = APIProblem(.serviceUnavailable, detail: "the database did not answer within the statement timeout")
        case .queryFailed where isTransient(error.sqlState):
            answer = DomainError.unavailable("the database is unavailable; try again shortly")
        default:
            return nil
        }
        // debugDescription never holds a bound value (PGError).
        logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
        return answer
    }
}
