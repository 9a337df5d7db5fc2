import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `POST /v1/apply` (config as code) through the real binary.
@Suite(.serialized)
struct ApplyAPITests {
    static func funds(_ ids: [String] = ["F1", "F2"]) -> [String: Any] {
        ["kind": "ApprovedFunds", "metadata": ["name": "acme"], "spec": ["fund_ids": ids]]
    }

    static func dataset(_ name: String = "trades", minRecords: Int = 10) -> [String: Any] {
        ["kind": "Dataset", "metadata": ["name": name], "spec": [
            "client": "acme", "source_uri": "s3://staging/acme/\(name)/", "destination_uri": "s3://rnd/acme/\(name)/",
            "format": "csv", "fund_column": "fund_id", "gates": ["min_records": minRecords],
        ]]
    }

    static func experiment(dataset: String = "trades") -> [String: Any] {
        ["kind": "Experiment", "metadata": ["name": "churn-exp"], "spec": [
            "kubeflow": ["pipeline_id": "p-1", "pipeline_version_id": "v-1"],
            "code": ["repository": "data-science/churn", "branch": "main"], "image": "models/churn:v1",
            "dataset": dataset, "parameters": ["depth": 6, "rate": 0.1], "trigger": "manual",
        ]]
    }

    static var model: [String: Any] { ["kind": "Model", "metadata": ["name": "churn"], "spec": ["task": "classification"]] }

    static func deployment(version: Int = 1, endpoint: String = "scoring") -> [String: Any] {
        ["kind": "Deployment", "metadata": ["name": "churn-stealth"], "spec": [
            "region": "eu-west-1", "endpoint": endpoint, "model": "churn", "version": version, "mode": "stealth",
            "target": ["type": "external", "urls": ["http://127.0.0.1:9"]],
        ]]
    }

    static var policy: [String: Any] { [
        "kind": "PromotionPolicy", "metadata": ["region": "eu-west-1", "endpoint": "scoring"],
        "spec": ["min_outcomes": 50, "min_duration": "1h"],
    ] }

    func apply(
        _ server: APIServer, _ documents: [[String: Any]], prune: Bool = false, dryRun: Bool = false,
        token: String = APIServer.adminSecret
    ) throws -> RawClient.Response {
        let body = try APIServer.encode(["documents": documents, "prune": prune])
        return try server.send("POST", "/v1/apply\(dryRun ? "?dry_run=true" : "")", token: token, body: body)
    }

    /// `kind/name: action` for every step.
    static func plan(_ response: RawClient.Response) -> [String] {
        (APIServer.json(response)["steps"] as? [[String: Any]] ?? []).map {
            "\($0["kind"] as? String ?? "")/\($0["name"] as? String ?? ""): \($0["action"] as? String ?? "")"
        }
    }

    func count(_ server: APIServer, _ table: String) async throws -> Int {
        let rows = try await server.query("SELECT count(*) AS n FROM \(unsafeSQL: table)")
        return try rows.first?.decode("n", as: Int.self) ?? -1
    }

    @Test func apply_dryRunPlans_applyCreates_secondApplyChangesNothing_edits_update() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn", version: 1)
        try await server.seedModelVersion(model: "churn", version: 2)
        let set = [Self.deployment(), Self.experiment(), Self.dataset(), Self.funds(), Self.model, Self.policy]
        let expected = [
            "ApprovedFunds/acme: create", "Dataset/trades: create", "Experiment/churn-exp: create", "Model/churn: unchanged",
            "Deployment/churn-stealth: create", "PromotionPolicy/eu-west-1/scoring: create",
        ]
        let events = try await count(server, "events")

        let dry = try apply(server, set, dryRun: true)
        #expect(dry.status == 200, "\(dry)")
        #expect(Self.plan(dry) == expected)
        #expect(APIServer.json(dry)["dry_run"] as? Bool == true)
        #expect(try await count(server, "datasets") == 0)
        #expect(try await count(server, "events") == events)

        let applied = try apply(server, set)
        #expect(applied.status == 200, "\(applied)")
        #expect(Self.plan(applied) == expected)
        #expect((APIServer.json(applied)["summary"] as? [String: Int])?["create"] == 5)
        #expect(try await count(server, "deployments") == 1)
        let afterFirst = try await count(server, "events")
        #expect(afterFirst == events + 5)
        let created = APIServer.json(try server.send("GET", "/v1/datasets/trades"))
        #expect((created["gates"] as? [String: Any])?["min_records"] as? Int == 10)

        let again = try apply(server, set)
        #expect(Self.plan(again).allSatisfy { $0.hasSuffix(": unchanged") }, "\(again)")
        #expect(try await count(server, "events") == afterFirst)

        let edited = [Self.deployment(version: 2), Self.experiment(), Self.dataset(minRecords: 20), Self.funds(["F1"]), Self.model, Self.policy]
        let update = try apply(server, edited)
        #expect(Self.plan(update) == [
            "ApprovedFunds/acme: update", "Dataset/trades: update", "Experiment/churn-exp: unchanged", "Model/churn: unchanged",
            "Deployment/churn-stealth: update", "PromotionPolicy/eu-west-1/scoring: unchanged",
        ])
        let steps = APIServer.json(update)["steps"] as? [[String: Any]] ?? []
        #expect(steps[1]["changes"] as? [String] == ["gates"])
        #expect(steps[4]["changes"] as? [String] == ["version"])
        let deployments = APIServer.items(try server.send("GET", "/v1/deployments"))
        #expect(deployments.first?["version"] as? Int == 2)
        #expect(APIServer.json(try server.send("GET", "/v1/clients/acme/approved-funds"))["version"] as? Int == 2)
        let actions = APIServer.items(try server.send("GET", "/v1/events?resource=dataset/trades")).map { $0["action"] as? String }
        #expect(actions == ["dataset.updated", "dataset.created"])
    }

    @Test func apply_refusesImmutableDeploymentChanges_naming_theDocumentAndField() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        #expect(try apply(server, [Self.deployment()]).status == 200)
        let moved = try apply(server, [Self.deployment(endpoint: "elsewhere")])
        APIServer.expectProblem(moved, 422)
        #expect(APIServer.errorFields(moved) == ["documents[0].spec.endpoint"])
        #expect((APIServer.json(moved)["detail"] as? String)?.contains("Deployment churn-stealth") == true)
    }

    @Test func apply_prune_deletesWhatTheSetNoLongerNames_andNeedsAdmin() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        #expect(try apply(server, [Self.dataset("a"), Self.dataset("b")]).status == 200)
        let scientist = try server.token("scientist")
        APIServer.expectProblem(try apply(server, [Self.dataset("a")], prune: true, token: scientist), 403)
        let dry = try apply(server, [Self.dataset("a")], prune: true, dryRun: true)
        #expect(Self.plan(dry) == ["Dataset/a: unchanged", "Dataset/b: delete"])
        #expect(try await count(server, "datasets") == 2)
        let pruned = try apply(server, [Self.dataset("a")], prune: true)
        #expect(Self.plan(pruned) == ["Dataset/a: unchanged", "Dataset/b: delete"])
        #expect(APIServer.items(try server.send("GET", "/v1/datasets")).map { $0["name"] as? String } == ["a"])
        // Without prune, nothing is deleted.
        #expect(try apply(server, [Self.dataset("c")], token: scientist).status == 200)
        #expect(try await count(server, "datasets") == 2)
    }

    @Test func apply_isAllOrNothing_whenALaterDocumentFails() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let events = try await count(server, "events")
        // Valid documents, but the experiment names a dataset nobody declares:
        // the dataset created before it in the same transaction is rolled back.
        let missing = try apply(server, [Self.dataset(), Self.experiment(dataset: "nothing")])
        APIServer.expectProblem(missing, 422)
        #expect(APIServer.errorFields(missing) == ["documents[1].spec.dataset"])
        #expect(try await count(server, "datasets") == 0)
        #expect(try await count(server, "events") == events)

        // A broken second document: every problem of the set, nothing written.
        var broken = Self.dataset("other")
        broken["spec"] = ["client": "acme", "format": "parquet", "fund_colum": "x"]
        let invalid = try apply(server, [Self.dataset(), broken, ["kind": "Widget", "metadata": ["name": "w"], "spec": [:]]])
        APIServer.expectProblem(invalid, 422)
        // (Like the route itself, unknown fields are reported before the rules.)
        #expect(APIServer.errorFields(invalid) == ["documents[1].spec.fund_colum", "documents[2].kind"])
        #expect(try await count(server, "datasets") == 0)

        // Two live deployments of one endpoint: 409 naming the second.
        try await server.seedModelVersion(model: "churn")
        var live = Self.deployment()
        live["spec"] = (live["spec"] as? [String: Any] ?? [:]).merging(["mode": "live"]) { $1 }
        var second = live
        second["metadata"] = ["name": "churn-live-2"]
        let conflict = try apply(server, [live, second])
        APIServer.expectProblem(conflict, 409)
        #expect((APIServer.json(conflict)["detail"] as? String)?.hasPrefix("documents[1] (Deployment churn-live-2)") == true)
        #expect(try await count(server, "deployments") == 0)
    }

    @Test func apply_checksRolesAndShape() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let scientist = try server.token("scientist")
        APIServer.expectProblem(try apply(server, [Self.funds()], token: scientist), 403)
        APIServer.expectProblem(try apply(server, [Self.policy], token: scientist), 403)
        APIServer.expectProblem(try apply(server, [Self.dataset()], token: try server.token("viewer")), 403)
        APIServer.expectProblem(try apply(server, []), 422)
        APIServer.expectProblem(try server.send("POST", "/v1/apply", body: #"{"documents":"#), 400)
        APIServer.expectProblem(try server.send("POST", "/v1/apply?dry_run=maybe", body: #"{"documents":[]}"#), 400)
        let twice = try apply(server, [Self.dataset(), Self.dataset()])
        #expect(APIServer.errorFields(twice) == ["documents[1]"])
        var misplaced = Self.dataset()
        misplaced["spec"] = (misplaced["spec"] as? [String: Any] ?? [:]).merging(["name": "x"]) { $1 }
        #expect(APIServer.errorFields(try apply(server, [misplaced])) == ["documents[0].spec.name"])
        let byName: [String: Any] = ["kind": "PromotionPolicy", "metadata": ["name": "eu-west-1/scoring"], "spec": [:]]
        #expect(Self.plan(try apply(server, [byName])) == ["PromotionPolicy/eu-west-1/scoring: create"])
        #expect(try await count(server, "datasets") == 0)
    }
}
