public import Foundation

/// Tunables of the inference gateway. `SluiceApp` fills them from the
/// `SLUICE_GATEWAY_*` variables (docs/operations.md); the defaults below are
/// what an unset variable means.
public struct GatewayConfiguration: Sendable, Equatable {
    /// Bound on one live model call, connect included. Default 10 s.
    public var liveTimeout: Duration = .seconds(10)
    /// Bound on one stealth model call. Default 10 s.
    public var stealthTimeout: Duration = .seconds(10)
    /// Fraction of requests (0...1) copied to each stealth deployment,
    /// chosen by a hash of the request id. Default 1.0 (every request).
    public var stealthSampleRate: Double = 1.0
    /// Bodies larger than this are not copied to stealth deployments. Default 1 MiB.
    public var stealthMaxBody: Int = 1 << 20
    /// Stealth calls in flight per deployment; more are dropped. Default 64.
    public var stealthConcurrency: Int = 64
    /// Largest request body accepted on `/predict`. Default 8 MiB.
    public var maxBody: Int = 8 << 20
    /// Largest answer body taken from a model server, live or stealth; a
    /// longer one is refused (the live request answers 502) instead of
    /// being held in memory. Default 8 MiB.
    public var maxAnswer: Int = 8 << 20
    /// Consecutive failures (no answer, or 502/503/504) after which an instance is
    /// skipped until a probe or a call succeeds again. Default 3.
    public var failureThreshold: Int = 3
    /// How often every instance's health route is probed. Default 2 s.
    public var probeInterval: Duration = .seconds(2)
    /// Bound on one health probe. Default 1 s.
    public var probeTimeout: Duration = .seconds(1)
    /// Routes are re-read this often even without a notification. Default 30 s.
    public var reloadInterval: Duration = .seconds(30)
    /// Records waiting for the journal; more are dropped and counted. Default 100,000.
    public var queueCapacity: Int = 100_000
    /// Records per journal segment at most. Default 1,000.
    public var batchSize: Int = 1_000
    /// A partial batch is written after this long. Default 200 ms.
    public var flushInterval: Duration = .milliseconds(200)
    /// What the live answer waits for before it leaves (`SLUICE_GATEWAY_DURABLE_ACK`).
    /// Default ``JournalAcknowledgement/write``.
    public var acknowledgement: JournalAcknowledgement = .write
    /// The journal folder. Default `./.sluice/gateway-journal`.
    public var journalDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        .appendingPathComponent(".sluice/gateway-journal")
    /// Longest wait between two upload attempts while the store fails. Default 5 s.
    public var maxUploadBackoff: Duration = .seconds(5)
    /// What model calls go through (`SLUICE_GATEWAY_HTTP_CLIENT`, decision 71).
    public var modelClient: ModelClientKind = .builtin

    /// The defaults.
    public init() {}
}

/// How far a live call's record must have gone before its answer is sent
/// (docs/decisions.md 31 and 63).
public enum JournalAcknowledgement: String, Sendable, Equatable, CaseIterable {
    /// The record is written to the journal and `fdatasync`ed (group commit:
    /// one `fdatasync` for every request that arrived meanwhile). Neither a
    /// crash of the process nor of the machine loses an acknowledged record.
    case fsync
    /// The record is written to the journal file (group commit, no wait
    /// for the disk); the file is `fdatasync`ed when its segment is sealed,
    /// within two flush intervals. A crash of the process (`kill -9`) loses
    /// no acknowledged record; a crash of the machine may lose the records
    /// of the last flush intervals.
    case write
    /// The record waits in memory for the next flush; a crash of the process
    /// may lose up to a flush interval of records.
    case off
}

/// What the gateway calls models with (decision 71).
public enum ModelClientKind: String, Sendable, Equatable, CaseIterable {
    /// SluiceHTTP's `UpstreamClient` for `http` URLs with a numeric host,
    /// live calls on the request's own event loop; libcurl for the rest.
    case builtin
    /// libcurl's multi interface for every call, on one thread for live
    /// and one for stealth calls (decision 54).
    case libcurl
}
