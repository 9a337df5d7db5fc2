import Foundation
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import SluicePostgres
import SluiceReconcile
import SluiceStore
import SluiceTesting
import Testing

/// A migrated database, moto with two buckets (Staging and R&D), and a
/// `DatasetReconciler` over them, for the dataset worker's tests.
struct DatasetHarness {
    static let migrations = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations")

    let pool: PGPool
    let s3: S3Client
    let staging: String
    let rnd: String
    let datasets: PostgresDatasetStore
    let work: PostgresDatasetWorkStore
    let storage: S3ObjectStorage

    /// Runs `body` with a fresh harness; `partSize` is the upload part size.
    static func with(partSize: Int = 5 << 20, _ body: (DatasetHarness) async throws -> Void) async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        do {
            try await PGMigrator(pool: pool, directory: migrations).migrate()
            let moto = try await TestMoto.shared()
            let endpoint = try #require(AWSEndpoint(url: moto.endpoint))
            let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint])
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            let client = AWSServiceClient(
                service: "s3", configuration: configuration, credentials: credentials, http: try CurlHTTPClient(),
                timeout: .seconds(120))
            let s3 = S3Client(client: client, partSize: partSize)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let staging = "staging-\(suffix)"
            let rnd = "rnd-\(suffix)"
            try await s3.createBucket(staging)
            try await s3.createBucket(rnd)
            let harness = DatasetHarness(
                pool: pool, s3: s3, staging: staging, rnd: rnd, datasets: PostgresDatasetStore(pool: pool),
                work: PostgresDatasetWorkStore(pool: pool), storage: S3ObjectStorage(s3: s3))
            try await body(harness)
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    var reconciler: DatasetReconciler { DatasetReconciler(store: work, storage: storage) }

    /// Approves `funds` for client `acme` and creates dataset `name` over
    /// `staging/<name>/` → `rnd/<name>/` (or `destination`); returns its id.
    func makeDataset(
        _ name: String, format: DatasetFormat, funds: [String], gates: QualityGates? = nil, destination: String? = nil
    ) async throws -> UUID {
        _ = try await PostgresApprovedFundsStore(pool: pool).put(client: "acme", fundIDs: funds, actor: "test")
        let spec = DatasetSpec(
            client: "acme", sourceURI: "s3://\(staging)/\(name)/", destinationURI: destination ?? "s3://\(rnd)/\(name)/", format: format,
            fundColumn: "fund_id", gates: gates)
        return try await datasets.create(name: name, spec: spec, actor: "test").id
    }

    /// Requests a version and reconciles until it is finished; returns it.
    @discardableResult
    func snapshotAndRun(_ name: String, id: UUID, maxPasses: Int = 10) async throws -> DatasetVersion {
        let requested = try await datasets.createVersion(dataset: name, actor: "test")
        try await runUntilIdle(id: id, maxPasses: maxPasses)
        return try await datasets.version(dataset: name, version: requested.version)
    }

    /// Reconciles the dataset until it says `.done`; a reconciler that is
    /// still not done after `maxPasses` is a failure (a `where` clause
    /// here once ran every pass regardless, so it could not be one).
    func runUntilIdle(id: UUID, maxPasses: Int = 10, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for _ in 0..<maxPasses {
            if try await reconciler.reconcile(key: id.uuidString.lowercased()) == .done { return }
        }
        Issue.record("the dataset reconciler was not done after \(maxPasses) passes", sourceLocation: sourceLocation)
    }

    /// Every object under `prefix` of the R&D bucket, with its bytes.
    func outputs(_ prefix: String) async throws -> [String: [UInt8]] {
        var all: [String: [UInt8]] = [:]
        for object in try await s3.listAllObjects(bucket: rnd, prefix: prefix) {
            all[object.key] = try await s3.getObjectBytes(bucket: rnd, key: object.key, limit: 512 << 20)
        }
        return all
    }
}
