import ArgumentParser
import Foundation

/// `--wait` and `--timeout` of commands that start something asynchronous.
struct WaitOptions: ParsableArguments {
    @Flag(help: "Wait for a terminal state, showing the status and elapsed time on standard error.")
    var wait = false

    @Option(help: "Seconds --wait waits before giving up with exit status 75.")
    var timeout: Int = 600

    @Option(help: .hidden)
    var pollInterval: Double = 1

    func validate() throws {
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
        if !(pollInterval > 0 && pollInterval <= 60) { throw ValidationError("--poll-interval must be from 0 to 60 seconds") }
    }

    /// After ``poll(_:_:label:terminal:gone:status:)`` and printing its
    /// answer: a wait that ended in one of `failed` (a run `failed` or
    /// `canceled`, a dataset version `quarantined` or `failed`) exits 1, so
    /// `sluice runs start X --wait && next-step` stops there.
    static func requireSuccess(_ bytes: [UInt8], label: String, failed: Set<String>) throws(CLIError) {
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        guard let status = object["status"] as? String, failed.contains(status) else { return }
        let reason = (object["reason"] as? String).map { ": \($0)" } ?? ""
        throw CLIError(CLIError.apiFailure, "\(label) ended \(status)\(reason)")
    }

    /// Polls `path` until its status (by default its `status` field) is in
    /// `terminal`; returns the last answer. With `gone`, a 404 ends the wait
    /// as that status (a deletion finished). On a terminal standard error one
    /// line is rewritten in place; elsewhere a line is printed each time the
    /// status changes.
    func poll(
        _ client: APIClient, _ path: String, label: String, terminal: Set<String>, gone: String? = nil,
        status statusOf: ([String: Any]) -> String = { $0["status"] as? String ?? "unknown" }
    ) async throws(CLIError) -> [UInt8] {
        let start = ContinuousClock.now
        let interactive = isatty(STDERR_FILENO) == 1
        var last = ""
        while true {
            let bytes: [UInt8]
            let status: String
            do {
                bytes = try await client.send("GET", path)
                status = statusOf((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:])
            } catch let error where error.httpStatus == 404 && gone != nil {
                bytes = []
                status = gone ?? ""
            }
            let elapsed = Int((ContinuousClock.now - start).components.seconds)
            let progress = "\(label): \(status) (\(elapsed)s)"
            if interactive {
                FileHandle.standardError.write(Data("\r\(progress)\u{1B}[K".utf8))
            } else if status != last {
                Output.error(progress)
            }
            last = status
            if terminal.contains(status) {
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
                return bytes
            }
            if elapsed >= timeout {
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
                throw CLIError(CLIError.timedOut, "\(label) is still \(status) after \(timeout)s (--timeout)")
            }
            try? await Task.sleep(for: .milliseconds(Int(pollInterval * 1000)))
        }
    }
}
