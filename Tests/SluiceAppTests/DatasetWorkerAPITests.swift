import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluiceTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The dataset worker through the real binary against moto: a version
/// requested over the API is copied, profiled and shown whole, also after
/// the server is killed with SIGKILL in the middle of the copy.
@Suite(.serialized)
struct DatasetWorkerAPITests {
    struct Buckets {
        let moto: TestMoto
        let s3: S3Client
        let staging: String
        let rnd: String

        static func make() async throws -> Buckets {
            let moto = try await TestMoto.shared()
            guard let endpoint = AWSEndpoint(url: moto.endpoint) else { throw SetupFailure(description: "moto endpoint") }
            let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint])
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            let s3 = S3Client(configuration: configuration, credentials: credentials, http: try CurlHTTPClient())
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let buckets = Buckets(moto: moto, s3: s3, staging: "stg-\(suffix)", rnd: "rnd-\(suffix)")
            try await s3.createBucket(buckets.staging)
            try await s3.createBucket(buckets.rnd)
            return buckets
        }
    }

    static func start(_ buckets: Buckets, database: TestDatabase) async throws -> APIServer {
        var environment = buckets.moto.environment
        environment["SLUICE_RECONCILE_LEASE"] = "2"
        return try await APIServer.start(database: database, environment: environment)
    }

    static func setUp(_ server: APIServer, _ buckets: Buckets) throws {
        #expect(try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F1"]}"#).status == 201)
        let created = try server.send("POST", "/v1/datasets", body: #"""
            {"name":"trades","client":"acme","source_uri":"s3://\#(buckets.staging)/in/","destination_uri":"s3://\#(buckets.rnd)/out/",
             "format":"csv","fund_column":"fund_id","gates":{"min_records":1}}
            """#)
        #expect(created.status == 201, "\(created)")
        #expect(try server.send("POST", "/v1/datasets/trades/versions").status == 202)
    }

    /// Polls version 1 until `done` says so (60 s at most).
    static func waitFor(_ server: APIServer, _ done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let version = APIServer.json(try server.send("GET", "/v1/datasets/trades/versions/1"))
            if done(version) { return version }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SetupFailure(description: "version 1 did not get there in 60 s")
    }

    @Test func snapshot_becomesReady_withOutputsAndQuality() async throws {
        let buckets = try await Buckets.make()
        let server = try await Self.start(buckets, database: try await TestPostgres.shared().createDatabase())
        defer { server.stop() }
        try await buckets.s3.putObject(
            bucket: buckets.staging, key: "in/day 1+a.csv", body: Array("fund_id,n\r\nF1,1\r\nF2,2\r\nF1,3\r\n".utf8))
        try Self.setUp(server, buckets)
        let version = try await Self.waitFor(server) { ["ready", "quarantined", "failed"].contains($0["status"] as? String ?? "") }
        #expect(version["status"] as? String == "ready", "\(version)")
        #expect(version["records_in"] as? Int == 3 && version["records_out"] as? Int == 2 && version["records_rejected"] as? Int == 0)
        let outputs = version["outputs"] as? [[String: Any]] ?? []
        #expect(outputs.first?["uri"] as? String == "s3://\(buckets.rnd)/out/day 1+a.csv")
        #expect((outputs.first?["sha256"] as? String)?.count == 64)
        let quality = version["quality"] as? [String: Any] ?? [:]
        #expect((quality["gates"] as? [String: Any])?["passed"] as? Bool == true)
        let copied = try await buckets.s3.getObjectBytes(bucket: buckets.rnd, key: "out/day 1+a.csv")
        #expect(String(decoding: copied, as: UTF8.self) == "fund_id,n\r\nF1,1\r\nF1,3\r\n")
        #expect(try SHA256.hexHash(copied) == outputs.first?["sha256"] as? String)
    }

    @Test func killDashNine_duringTheCopy_finishesCleanlyAfterARestart() async throws {
        let buckets = try await Buckets.make()
        let database = try await TestPostgres.shared().createDatabase()
        var server = try await Self.start(buckets, database: database)
        // ~48 MiB, every record kept: several parts, a copy of a few seconds.
        var body = Array("fund_id,id,payload\n".utf8)
        var index = 0
        let payload = String(repeating: "z", count: 200)
        while body.count < 48 << 20 {
            body += "F1,\(index),\(payload)\n".utf8
            index += 1
        }
        try await buckets.s3.putObject(bucket: buckets.staging, key: "in/big.csv", body: body)
        try Self.setUp(server, buckets)
        _ = try await Self.waitFor(server) { ($0["status"] as? String) != "pending" }
        kill(server.process.process.processIdentifier, SIGKILL)
        _ = server.process.waitForExit(timeout: 10)
        server = try await Self.start(buckets, database: database)
        defer { server.stop() }
        let version = try await Self.waitFor(server) { ["ready", "quarantined", "failed"].contains($0["status"] as? String ?? "") }
        #expect(version["status"] as? String == "ready", "\(version)")
        #expect(version["records_out"] as? Int == index)
        #expect(try await buckets.s3.listMultipartUploads(bucket: buckets.rnd).isEmpty)
        let copied = try await buckets.s3.getObjectBytes(bucket: buckets.rnd, key: "out/big.csv", limit: 64 << 20)
        #expect(copied.count == body.count && copied == body)
    }
}
