public import Foundation

/// A branch that a push moved to `commit` (a Bitbucket webhook, DESIGN.md §4).
public struct CodePush: Sendable, Equatable {
    /// The repository as experiments name it in `code.repository`:
    /// `workspace/repo` (Cloud's `full_name`) or `PROJECT/repo` (Data
    /// Center's project key and slug).
    public var repository: String
    /// The branch name without `refs/heads/`.
    public var branch: String
    /// The full commit hash the branch now points at.
    public var commit: String

    /// A push.
    public init(repository: String, branch: String, commit: String) {
        self.repository = repository
        self.branch = branch
        self.commit = commit
    }
}

/// What recording a webhook delivery did.
public struct PushDelivery: Sendable, Equatable {
    /// The delivery id was seen before: nothing was recorded or started.
    public var duplicate: Bool
    /// The runs started, one per matching `trigger: push` experiment and push.
    public var runs: [Run]

    /// An outcome.
    public init(duplicate: Bool, runs: [Run]) {
        self.duplicate = duplicate
        self.runs = runs
    }
}

/// Webhook deliveries and the pushes they carry.
public protocol WebhookStore: Sendable {
    /// In one transaction: records delivery `deliveryID` once, its pushes,
    /// and a `pending` run (`trigger: push`, `commit`) of every experiment
    /// with `trigger: push` whose repository and branch match a push
    /// (repository compared case-insensitively). A repeated delivery id,
    /// or a repeated body (`bodyDigest`: its verified signature, since the
    /// delivery id is not signed), changes nothing and reports
    /// ``PushDelivery/duplicate``.
    func recordPushes(deliveryID: String, bodyDigest: String, eventKey: String, pushes: [CodePush]) async throws -> PushDelivery

    /// Forgets deliveries received before `cutoff`, with their pushes (the
    /// runs they started stay); returns how many. A delivery forgotten and
    /// then sent again would be taken as new.
    func forgetDeliveries(receivedBefore cutoff: Date) async throws -> Int
}

/// HMAC-SHA256 under a secret the implementation holds (the webhook
/// secret); implemented over OpenSSL in `SluiceApp`.
public protocol MessageAuthenticator: Sendable {
    /// The 32-byte HMAC-SHA256 of `message`.
    func authenticationCode(for message: [UInt8]) throws -> [UInt8]
}
