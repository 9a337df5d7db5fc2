import Logging
import SluiceHTTP
import SluicePostgres

/// Database failures that a client should retry, answered 503 with
/// `Retry-After` instead of 500: the database cannot be reached, its
/// connection broke, every pooled connection is busy, a statement ran past
/// its timeout, or the server reported a transient condition (shutting
/// down, out of connections or resources, a serialization failure or
/// deadlock left after the store's own retries). Anything else stays a 500.
enum DatabaseErrors {
    /// SQLSTATE classes and codes a retry may get past.
    static func isTransient(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P")
            || sqlState == "40001" || sqlState == "40P01"
    }

    /// An ``HTTPErrorTranslator`` for ``PGError``s; logs what it translates.
    static func translate(_ error: any Error, logger: Logger) -> (any HTTPResponseError)? {
        guard let error = error as? PGError else { return nil }
        let detail: String
        switch error.code {
        case .connectionFailed, .connectionLost, .closed: detail = "the database is unavailable; try again shortly"
        case .poolExhausted: detail = "the database is busy; try again shortly"
        case .timeout: detail = "the database did not answer in time; try again shortly"
        case .queryFailed where isTransient(error.sqlState): detail = "the database is unavailable; try again shortly"
        default: return nil
        }
        // debugDescription never holds a bound value (PGError).
        logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
        return HTTPError(.serviceUnavailable, detail, headers: ["Retry-After": "5"])
    }
}
