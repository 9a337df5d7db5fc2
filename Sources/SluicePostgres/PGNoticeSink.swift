import CLibPQ
import Foundation
import Logging

/// Receives libpq's notices — the server's NOTICE and WARNING messages, and
/// a FATAL message that arrives while a connection is idle — and logs them
/// at trace level, instead of libpq's default of printing to standard error.
///
/// libpq keeps only a raw pointer to the sink: its owner must keep it alive
/// until `PQfinish`.
final class PGNoticeSink: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func install(on handle: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = PQsetNoticeProcessor(handle, { context, message in
            guard let context, let message else { return }
            let sink = Unmanaged<PGNoticeSink>.fromOpaque(context).takeUnretainedValue()
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            sink.logger.trace("postgres notice", metadata: ["message": "\(text)"])
        }, context)
    }
}
