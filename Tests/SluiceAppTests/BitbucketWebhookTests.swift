import Foundation
import SluiceAWS
import SluicePostgres
import SluiceTesting
import Testing

/// `POST /v1/webhooks/bitbucket` through the real binary with the real
/// Bitbucket payloads of `Tests/Fixtures/bitbucket/` and the signatures
/// `manifest.json` gives for secret `secret`.
@Suite(.serialized)
struct BitbucketWebhookTests {
    struct Entry: Decodable {
        var file: String
        var event_key: String
        var x_hub_signature_secret_secret: String
    }

    struct Manifest: Decodable {
        var secret: String
        var entries: [Entry]
    }

    static func entry(_ file: String) throws -> (Entry, [UInt8]) {
        let manifest = try JSONDecoder().decode(Manifest.self, from: try Fixtures.data("bitbucket/manifest.json"))
        let entry = try #require(manifest.entries.first { $0.file == file })
        return (entry, Array(try Fixtures.data("bitbucket/\(file)")))
    }

    /// One delivery as Bitbucket sends it: the raw bytes, unchanged.
    static func deliver(
        _ server: APIServer, body: [UInt8], eventKey: String, signature: String?, delivery: (String, String)?
    ) throws -> RawClient.Response {
        let client = try RawClient(port: server.process.port, timeout: .seconds(20))
        var head = "POST /v1/webhooks/bitbucket HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        head += "X-Event-Key: \(eventKey)\r\n"
        if let signature { head += "X-Hub-Signature: \(signature)\r\n" }
        if let (name, value) = delivery { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        try client.send(Array(head.utf8) + body)
        return try client.readResponse()
    }

    static func deliver(_ server: APIServer, fixture file: String, delivery: (String, String)) throws -> RawClient.Response {
        let (entry, body) = try entry(file)
        return try deliver(server, body: body, eventKey: entry.event_key, signature: entry.x_hub_signature_secret_secret, delivery: delivery)
    }

    static func sign(_ body: [UInt8]) throws -> String {
        "sha256=" + Hex.encode(try HMACSHA256.authenticationCode(for: body, key: Array("secret".utf8)))
    }

    static func experiment(_ server: APIServer, _ name: String, repository: String, branch: String, trigger: String) throws {
        let response = try server.send("POST", "/v1/experiments", body: #"""
            {"name":"\#(name)","kubeflow":{"pipeline_id":"p","pipeline_version_id":"v"},
             "code":{"repository":"\#(repository)","branch":"\#(branch)"},"image":"models/churn:v1","dataset":"trades","trigger":"\#(trigger)"}
            """#)
        guard response.status == 201 else { throw SetupFailure(description: "experiment \(name): \(response)") }
    }

    static func count(_ server: APIServer, _ sql: PGQuery) async throws -> Int {
        try await server.query(sql)[0].decode("n", as: Int.self)
    }

    static func withServer(_ body: (APIServer) async throws -> Void) async throws {
        let server = try await APIServer.start(environment: ["SLUICE_BITBUCKET_SECRET": "secret", "SLUICE_WORKERS": "off"])
        defer { server.stop() }
        guard try server.send("POST", "/v1/datasets", body: DatasetsAPITests.trades).status == 201 else {
            throw SetupFailure(description: "dataset")
        }
        try await body(server)
    }

    @Test func cloudPush_startsRunsOnlyForMatchingPushExperiments_once() async throws {
        try await Self.withServer { server in
            // drone-go-scm cloud/push.json: brydzewski/foo, master → 141977fe...
            try Self.experiment(server, "foo-push", repository: "brydzewski/foo", branch: "master", trigger: "push")
            try Self.experiment(server, "foo-push-case", repository: "Brydzewski/Foo", branch: "master", trigger: "push")
            try Self.experiment(server, "foo-manual", repository: "brydzewski/foo", branch: "master", trigger: "manual")
            try Self.experiment(server, "foo-other-branch", repository: "brydzewski/foo", branch: "develop", trigger: "push")
            try Self.experiment(server, "bar-push", repository: "brydzewski/bar", branch: "master", trigger: "push")
            let delivery = ("X-Request-UUID", "2c3e1a3c-0000-4000-8000-000000000001")
            let response = try Self.deliver(server, fixture: "cloud/drone-go-scm/push.json", delivery: delivery)
            #expect(response.status == 202, "\(response)")
            let body = APIServer.json(response)
            let runs = body["runs"] as? [[String: Any]] ?? []
            #expect(Set(runs.compactMap { $0["experiment"] as? String }) == ["foo-push", "foo-push-case"])
            #expect(runs.allSatisfy { $0["commit"] as? String == "141977fedf5cf35aa290ac87d4b5177ac4cd9de1" })
            let started = APIServer.items(try server.send("GET", "/v1/experiments/foo-push/runs"))
            #expect(started.count == 1 && started.first?["trigger"] as? String == "push" && started.first?["status"] as? String == "pending")
            #expect(APIServer.items(try server.send("GET", "/v1/experiments/foo-manual/runs")).isEmpty)
            #expect(APIServer.items(try server.send("GET", "/v1/experiments/foo-other-branch/runs")).isEmpty)
            let pushes = try await server.query("SELECT repository, branch, commit FROM bitbucket_pushes")
            #expect(pushes.count == 1)
            #expect(try pushes[0].decode("repository", as: String.self) == "brydzewski/foo" && pushes[0].decode("branch", as: String.self) == "master")

            // Redelivery: acknowledged, nothing twice.
            let again = try Self.deliver(server, fixture: "cloud/drone-go-scm/push.json", delivery: delivery)
            #expect(again.status == 200 && APIServer.json(again)["status"] as? String == "duplicate")
            // The same signed body under another delivery id (the id is not
            // signed: a replay, or one push reaching two webhooks): also once.
            let replayed = try Self.deliver(
                server, fixture: "cloud/drone-go-scm/push.json", delivery: ("X-Request-UUID", "2c3e1a3c-0000-4000-8000-000000000099"))
            #expect(replayed.status == 200 && APIServer.json(replayed)["status"] as? String == "duplicate", "\(replayed)")
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM runs") == 2)
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM bitbucket_pushes") == 1)
        }
    }

    @Test func dataCenterRefsChanged_startsARun_byProjectKeyAndSlug() async throws {
        try await Self.withServer { server in
            // drone-go-scm server/push.json: PRJ/my-repo, master → 823b2230...
            try Self.experiment(server, "dc-push", repository: "PRJ/my-repo", branch: "master", trigger: "push")
            let response = try Self.deliver(
                server, fixture: "server/drone-go-scm/push.json", delivery: ("X-Request-Id", "b1a2c3d4-0000-4000-8000-000000000002"))
            #expect(response.status == 202, "\(response)")
            let runs = APIServer.items(try server.send("GET", "/v1/experiments/dc-push/runs"))
            #expect(runs.count == 1 && runs.first?["commit"] as? String == "823b2230a56056231c9425d63758fa87078a66b4")
            // A branch deletion and a tag push start nothing.
            for (index, file) in ["server/drone-go-scm/push_branch_delete.json", "server/drone-go-scm/push_tag_create.json",
                                   "cloud/drone-go-scm/push_tag_create.json", "cloud/drone-go-scm/push_branch_delete.json"].enumerated() {
                let other = try Self.deliver(server, fixture: file, delivery: ("X-Request-Id", "other-\(index)"))
                #expect(other.status == 202 && (APIServer.json(other)["runs"] as? [Any])?.isEmpty == true, "\(file)")
            }
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM runs") == 1)
        }
    }

    @Test func everyPushFixture_isAcceptedWithItsManifestSignature() async throws {
        try await Self.withServer { server in
            let manifest = try JSONDecoder().decode(Manifest.self, from: try Fixtures.data("bitbucket/manifest.json"))
            #expect(manifest.secret == "secret")
            for (index, entry) in manifest.entries.enumerated() where ["repo:push", "repo:refs_changed"].contains(entry.event_key) {
                let response = try Self.deliver(server, fixture: entry.file, delivery: ("X-Request-UUID", "fixture-\(index)"))
                #expect(response.status == 202, "\(entry.file): \(response)")
            }
        }
    }

    @Test func badMissingOrMalformedSignatures_are401_andChangeNothing() async throws {
        try await Self.withServer { server in
            try Self.experiment(server, "foo-push", repository: "brydzewski/foo", branch: "master", trigger: "push")
            let (entry, body) = try Self.entry("cloud/drone-go-scm/push.json")
            let wrong = "sha256=" + String(repeating: "0", count: 64)
            for signature in [nil, wrong, "sha1=abc", "sha256=xyz", entry.x_hub_signature_secret_secret.uppercased().replacingOccurrences(of: "SHA256=", with: "sha512=")] {
                let response = try Self.deliver(server, body: body, eventKey: entry.event_key, signature: signature, delivery: ("X-Request-UUID", "d-1"))
                APIServer.expectProblem(response, 401)
            }
            // The right signature over other bytes (one byte changed).
            var tampered = body
            tampered[tampered.count / 2] ^= 0x01
            let response = try Self.deliver(
                server, body: tampered, eventKey: entry.event_key, signature: entry.x_hub_signature_secret_secret, delivery: ("X-Request-UUID", "d-1"))
            APIServer.expectProblem(response, 401)
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM bitbucket_deliveries") == 0)
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM runs") == 0)
            // The first good delivery with that id is still accepted.
            #expect(try Self.deliver(server, fixture: "cloud/drone-go-scm/push.json", delivery: ("X-Request-UUID", "d-1")).status == 202)
        }
    }

    @Test func unknownEvents_areAcknowledged_andMalformedBodiesRefused() async throws {
        try await Self.withServer { server in
            let pr = try Self.deliver(server, fixture: "cloud/drone-go-scm/pr_created.json", delivery: ("X-Request-UUID", "pr-1"))
            #expect(pr.status == 202 && APIServer.json(pr)["status"] as? String == "ignored")
            let ping = Array(#"{"test":true}"#.utf8)
            let diagnostics = try Self.deliver(server, body: ping, eventKey: "diagnostics:ping", signature: try Self.sign(ping), delivery: ("X-Request-Id", "p-1"))
            #expect(diagnostics.status == 202)
            let junk = Array("{not json".utf8)
            APIServer.expectProblem(
                try Self.deliver(server, body: junk, eventKey: "repo:push", signature: try Self.sign(junk), delivery: ("X-Request-UUID", "j-1")), 400)
            let shapeless = Array(#"{"push":{"changes":[]}}"#.utf8)
            APIServer.expectProblem(
                try Self.deliver(server, body: shapeless, eventKey: "repo:push", signature: try Self.sign(shapeless), delivery: ("X-Request-UUID", "s-1")),
                422)
            let (entry, body) = try Self.entry("cloud/drone-go-scm/push.json")
            APIServer.expectProblem(
                try Self.deliver(server, body: body, eventKey: entry.event_key, signature: entry.x_hub_signature_secret_secret, delivery: nil), 400)
            #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM bitbucket_deliveries") == 0)
        }
    }

    @Test func withoutASecret_webhooksAreRefused() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let response = try Self.deliver(server, fixture: "cloud/drone-go-scm/push.json", delivery: ("X-Request-UUID", "n-1"))
        APIServer.expectProblem(response, 404)
        #expect(try await Self.count(server, "SELECT count(*)::int AS n FROM bitbucket_deliveries") == 0)
    }
}
