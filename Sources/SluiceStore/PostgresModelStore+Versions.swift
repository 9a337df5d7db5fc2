import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresModelStore {
    static let versionColumns = """
        m.name AS model, v.version, v.artifact_uri, v.artifact_etag, v.artifact_sha256, v.artifact_size, v.image,
        v.image_digest, v.run_id, v.experiment, v.commit, v.dataset, v.dataset_version, v.metrics, v.created_by,
        v.created_at, v.resource_version
        """

    public func createVersion(model: String, draft: ModelVersionDraft, actor: String) async throws -> ModelVersion {
        try await pool.withTransaction { connection in
            // Locking the model row serialises version numbers per model.
            let found = try await connection.query("SELECT id FROM models WHERE name = \(model) FOR UPDATE")
            guard let row = found.first else { throw DomainError.notFound("model \(model) not found") }
            let id = try row.decode("id", as: UUID.self)
            let lineage = draft.lineage
            let rows = try await connection.query("""
                WITH v AS (
                    INSERT INTO model_versions (model_id, version, artifact_uri, artifact_etag, artifact_sha256, artifact_size,
                        image, image_digest, run_id, experiment, commit, dataset, dataset_version, metrics, created_by)
                    VALUES (\(id), COALESCE((SELECT max(version) FROM model_versions WHERE model_id = \(id)), 0) + 1,
                        \(draft.artifactURI), \(draft.artifact.etag), \(draft.artifact.sha256), \(draft.artifact.size),
                        \(draft.image), \(draft.imageDigest), \(lineage.runID), \(lineage.experiment), \(lineage.commit),
                        \(lineage.dataset), \(lineage.datasetVersion), \(draft.metrics.map { PGJSON($0) }), \(actor))
                    RETURNING *)
                SELECT \(unsafeSQL: Self.versionColumns) FROM v JOIN models m ON m.id = v.model_id
                """)
            let version = try Self.version(try StoreSupport.first(rows, "INSERT model_versions"))
            try await connection.query("UPDATE models SET updated_at = now() WHERE id = \(id)")
            try await EventLog.record(
                on: connection, actor: actor, action: "model.version_created", resourceType: "model", resourceID: model,
                detail: ["version": "\(version.version)", "artifact_uri": draft.artifactURI, "image": draft.image,
                         "image_digest": draft.imageDigest ?? ""])
            return version
        }
    }

    public func version(model: String, version: Int) async throws -> ModelVersion {
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.versionColumns) FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE m.name = \(model) AND v.version = \(version)
            """)
        guard let row = rows.first else { throw DomainError.notFound("model \(model) has no version \(version)") }
        return try Self.version(row)
    }

    public func versions(model: String, page: PageQuery) async throws -> ResourcePage<ModelVersion> {
        let after = try StoreSupport.integerCursor(page.after)
        let found = try await pool.query("SELECT 1 FROM models WHERE name = \(model)")
        if found.isEmpty { throw DomainError.notFound("model \(model) not found") }
        let rows = try await pool.query("""
            SELECT \(unsafeSQL: Self.versionColumns) FROM model_versions v JOIN models m ON m.id = v.model_id
            WHERE m.name = \(model) AND (\(after)::int IS NULL OR v.version < \(after)::int)
            ORDER BY v.version DESC LIMIT \(page.limit + 1)
            """)
        return ResourcePage(fetched: try rows.map(Self.version), limit: page.limit) { "\($0.version)" }
    }

    static func version(_ row: PGRow) throws -> ModelVersion {
        ModelVersion(
            model: try row.decode("model"), version: try row.decode("version"), artifactURI: try row.decode("artifact_uri"),
            artifact: ArtifactInfo(
                etag: try row.decode("artifact_etag"), sha256: try row.decode("artifact_sha256"),
                size: try row.decode("artifact_size")),
            image: try row.decode("image"), imageDigest: try row.decode("image_digest"),
            lineage: Lineage(
                runID: try row.decode("run_id"), experiment: try row.decode("experiment"), commit: try row.decode("commit"),
                dataset: try row.decode("dataset"), datasetVersion: try row.decode("dataset_version")),
            metrics: try StoreSupport.json(row, "metrics"), createdBy: try row.decode("created_by"),
            createdAt: try row.decode("created_at"), resourceVersion: try row.decode("resource_version"))
    }
}
