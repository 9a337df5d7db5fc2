import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/models` and model versions through the real binary, with moto as
/// AWS: image tags are resolved in ECR and artifacts checked in S3, every
/// request signed and its signature checked.
@Suite(.serialized)
struct ModelsAPITests {
    static let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#

    /// The cloud a version refers to: an image tag in ECR and an artifact in S3.
    struct Cloud {
        let moto: TestMoto
        let repository: String
        let bucket: String
        let digest: String

        static func make() async throws -> Cloud {
            let moto = try await TestMoto.shared()
            guard let endpoint = AWSEndpoint(url: moto.endpoint) else { throw SetupFailure(description: "moto endpoint") }
            let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint, "ecr": endpoint])
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            let http = try CurlHTTPClient()
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let repository = "models/churn-\(suffix)"
            let bucket = "rnd-models-\(suffix)"
            let ecr = ECRClient(configuration: configuration, credentials: credentials, http: http)
            let s3 = S3Client(configuration: configuration, credentials: credentials, http: http)
            try await ecr.createRepository(repository)
            let digest = try await ecr.putImage(repository: repository, manifest: manifest, tag: "v1")
            try await s3.createBucket(bucket)
            try await s3.putObject(bucket: bucket, key: "churn/model v1.tar.gz", body: Array("weights".utf8))
            return Cloud(moto: moto, repository: repository, bucket: bucket, digest: digest)
        }
    }

    static func startServer(_ cloud: Cloud?) async throws -> APIServer {
        var environment = cloud?.moto.environment ?? [:]
        environment["SLUICE_INSTANCE_HEALTHCHECK"] = "off"
        return try await APIServer.start(environment: environment)
    }

    @Test func versions_resolveTheDigest_checkTheArtifact_andNumberFromOne() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.startServer(cloud)
        defer { server.stop() }
        #expect(try server.send("POST", "/v1/models", body: #"{"name":"churn","task":"classification"}"#).status == 201)
        let body = #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/model v1.tar.gz","image":"\#(cloud.repository):v1","metrics":{"auc":0.91}}"#
        let first = try server.send("POST", "/v1/models/churn/versions", body: body)
        #expect(first.status == 201, "\(first)")
        let version = APIServer.json(first)
        #expect(version["version"] as? Int == 1)
        #expect(version["image_digest"] as? String == cloud.digest)
        #expect(version["artifact_size"] as? Int == 7)
        #expect((version["artifact_etag"] as? String)?.isEmpty == false)
        #expect((version["metrics"] as? [String: Double])?["auc"] == 0.91)
        #expect(first.header("location") == "/v1/models/churn/versions/1")
        let second = try server.send("POST", "/v1/models/churn/versions", body: body)
        #expect(APIServer.json(second)["version"] as? Int == 2)
        #expect(APIServer.json(try server.send("GET", "/v1/models/churn"))["latest_version"] as? Int == 2)
        #expect(APIServer.items(try server.send("GET", "/v1/models/churn/versions")).map { $0["version"] as? Int } == [2, 1])

        let missingTag = try server.send("POST", "/v1/models/churn/versions", body: #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/model v1.tar.gz","image":"\#(cloud.repository):nope"}"#)
        #expect(APIServer.errorFields(missingTag) == ["image"], "\(missingTag)")
        let missingObject = try server.send("POST", "/v1/models/churn/versions", body: #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/none.tar.gz","image":"\#(cloud.repository):v1"}"#)
        #expect(APIServer.errorFields(missingObject) == ["artifact_uri"], "\(missingObject)")
        let malformed = try server.send("POST", "/v1/models/churn/versions", body: #"{"artifact_uri":"s3://b/","image":"UPPER:v1","run_id":"x","metrics":[1]}"#)
        #expect(APIServer.errorFields(malformed) == ["artifact_uri", "image", "run_id", "metrics"])
        APIServer.expectProblem(try server.send("POST", "/v1/models/nothing/versions", body: body), 404)

        // Versions are immutable, whoever writes.
        await #expect(throws: PGError.self) {
            _ = try await server.query("UPDATE model_versions SET image = 'other:v2'")
        }
        // A model in use by a deployment cannot be deleted.
        _ = try server.deploy("live", model: "churn", mode: "live", endpoint: "churn")
        APIServer.expectProblem(try server.send("DELETE", "/v1/models/churn"), 409)
    }

    @Test func versions_carryTheLineageOfASucceededRun() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.startServer(cloud)
        defer { server.stop() }
        _ = try server.send("POST", "/v1/datasets", body: DatasetsAPITests.trades)
        _ = try server.send("POST", "/v1/experiments", body: ExperimentsAPITests.churn)
        _ = try server.send("POST", "/v1/models", body: #"{"name":"churn","task":"classification"}"#)
        let run = APIServer.json(try server.send("POST", "/v1/experiments/churn/runs"))
        let runID = try #require(run["id"] as? String)
        let body = #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/model v1.tar.gz","image":"\#(cloud.repository):v1","run_id":"\#(runID)"}"#
        let pending = try server.send("POST", "/v1/models/churn/versions", body: body)
        #expect(APIServer.errorFields(pending) == ["run_id"], "a pending run produced nothing yet")
        let id = try #require(UUID(uuidString: runID))
        _ = try await server.query("""
            UPDATE runs SET status = 'succeeded', commit = '0123456789abcdef0123456789abcdef01234567', dataset_version = 3,
                finished_at = now() WHERE id = \(id)
            """)
        let created = try server.send("POST", "/v1/models/churn/versions", body: body)
        #expect(created.status == 201, "\(created)")
        let lineage = APIServer.json(created)["lineage"] as? [String: Any]
        #expect(lineage?["run_id"] as? String == runID)
        #expect(lineage?["experiment"] as? String == "churn")
        #expect(lineage?["commit"] as? String == "0123456789abcdef0123456789abcdef01234567")
        #expect(lineage?["dataset"] as? String == "trades")
        #expect(lineage?["dataset_version"] as? Int == 3)
    }

    @Test func withoutAWS_versionsAre503_andNothingIsStored() async throws {
        let server = try await Self.startServer(nil)
        defer { server.stop() }
        _ = try server.send("POST", "/v1/models", body: #"{"name":"churn","task":"classification"}"#)
        let response = try server.send("POST", "/v1/models/churn/versions", body: #"{"artifact_uri":"s3://bucket/k","image":"repo/img:t"}"#)
        APIServer.expectProblem(response, 503)
        #expect(response.header("retry-after") != nil)
        let rows = try await server.query("SELECT count(*) AS n FROM model_versions")
        #expect(try rows.first?.decode("n", as: Int.self) == 0)
    }
}
