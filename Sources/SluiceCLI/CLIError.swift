import Foundation

/// Why a client command failed, and the exit status that says so. The
/// statuses follow BSD `sysexits.h`, as curl and git do for the same cases.
public struct CLIError: Error, Sendable, CustomStringConvertible {
    /// 1: the server answered with a problem (4xx or 5xx).
    public static let apiFailure: Int32 = 1
    /// 64 (`EX_USAGE`): a bad command line; ArgumentParser's own status.
    public static let usage: Int32 = 64
    /// 65 (`EX_DATAERR`): an input file that cannot be read as documents.
    public static let dataError: Int32 = 65
    /// 69 (`EX_UNAVAILABLE`): the server could not be reached.
    public static let unavailable: Int32 = 69
    /// 75 (`EX_TEMPFAIL`): `--wait` gave up before a terminal state.
    public static let timedOut: Int32 = 75

    /// The process exit status.
    public var exitCode: Int32
    /// What to print on standard error (without the `sluice:` prefix).
    public var description: String
    /// The body of the server's problem document, when it answered with one.
    var problemBody: [UInt8] = []
    /// The HTTP status of that answer (0 when the server did not answer).
    var httpStatus = 0

    /// The problem document's `errors` as `(field, message)`.
    var fieldErrors: [(field: String, message: String)] {
        let object = (try? JSONSerialization.jsonObject(with: Data(problemBody))) as? [String: Any]
        return (object?["errors"] as? [[String: Any]] ?? []).compactMap { error in
            guard let field = error["field"] as? String, let message = error["message"] as? String else { return nil }
            return (field, message)
        }
    }

    /// An error that exits with `exitCode`.
    public init(_ exitCode: Int32, _ description: String) {
        self.exitCode = exitCode
        self.description = description
    }
}

