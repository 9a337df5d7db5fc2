public import Foundation

/// Where predictions and outcomes are stored and scored.
public protocol MLDataStore: Sendable {
    /// Stores a batch all or nothing. Items name deployments that must exist
    /// (else ``DomainError/invalidFields(_:)`` with `[index].deployment_id`);
    /// items already stored are skipped and counted as duplicates.
    func ingest(predictions: [Prediction]) async throws -> IngestResult
    /// Stores a batch of outcomes all or nothing; duplicates are skipped.
    func ingest(outcomes: [Outcome]) async throws -> IngestResult
    /// The scoreboard of one endpoint over `[since, until)`.
    func scoreboard(region: String, endpoint: String, since: Date, until: Date) async throws -> Scoreboard
    /// The paired comparison of every challenger of the endpoint with the
    /// `live` deployment, for every ``ScoreMetric``.
    func paired(region: String, endpoint: String, since: Date, until: Date, live: UUID) async throws -> [UUID: [ScoreMetric: PairedComparison]]
    /// When `deployment` of the endpoint first predicted, if ever.
    func firstPrediction(region: String, endpoint: String, deployment: UUID) async throws -> Date?
    /// The task of the model named `model`.
    func task(ofModel model: String) async throws -> ModelTask
    /// Drops partitions older than every endpoint's retention and deletes
    /// older rows of endpoints with shorter retention; returns rows removed.
    func applyRetention(now: Date) async throws -> Int
}
