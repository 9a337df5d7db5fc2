import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/experiments` and runs through the real binary.
@Suite(.serialized)
struct ExperimentsAPITests {
    static let churn = #"""
        {"name":"churn","kubeflow":{"pipeline_id":"7c2f0a6e-1b7e-4f7e-9d8e-3a1f2b3c4d5e","pipeline_version_id":"v-1"},
         "code":{"repository":"data-science/churn","branch":"feature/new-loss"},"image":"models/churn:v1",
         "dataset":"trades","parameters":{"learning_rate":0.1,"maxDepth":6,"layers":[64,32]},"trigger":"push"}
        """#

    static func seedDataset(_ server: APIServer) throws {
        let response = try server.send("POST", "/v1/datasets", body: DatasetsAPITests.trades)
        #expect(response.status == 201)
    }

    @Test func create_get_runs_cancel() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try Self.seedDataset(server)
        let created = try server.send("POST", "/v1/experiments", body: Self.churn)
        #expect(created.status == 201, "\(created)")
        let experiment = APIServer.json(created)
        #expect((experiment["parameters"] as? [String: Any])?["maxDepth"] as? Int == 6)
        #expect((experiment["kubeflow"] as? [String: Any])?.keys.contains("experiment_id") == true)
        APIServer.expectProblem(try server.send("POST", "/v1/experiments", body: Self.churn), 409)

        let started = try server.send("POST", "/v1/experiments/churn/runs", body: #"{"parameters":{"learning_rate":0.2}}"#)
        #expect(started.status == 202, "\(started)")
        let run = APIServer.json(started)
        #expect(run["status"] as? String == "pending")
        #expect(run["kubeflow_run_id"] is NSNull)
        #expect(run["dataset_version"] is NSNull)
        #expect((run["parameters"] as? [String: Any])?["learning_rate"] as? Double == 0.2)
        #expect((run["parameters"] as? [String: Any])?["maxDepth"] as? Int == 6)
        let id = try #require(run["id"] as? String)
        #expect(try server.send("GET", "/v1/experiments/churn/runs/\(id)").status == 200)
        APIServer.expectProblem(try server.send("GET", "/v1/experiments/churn/runs/\(UUID())"), 404)
        APIServer.expectProblem(try server.send("GET", "/v1/experiments/churn/runs/not-a-uuid"), 404)

        // The experiment cannot go while a run is in progress.
        APIServer.expectProblem(try server.send("DELETE", "/v1/experiments/churn"), 409)
        let canceled = try server.send("POST", "/v1/experiments/churn/runs/\(id)/cancel")
        #expect(APIServer.json(canceled)["status"] as? String == "canceled")
        // A finished run never changes again.
        APIServer.expectProblem(try server.send("POST", "/v1/experiments/churn/runs/\(id)/cancel"), 409)
        #expect(APIServer.items(try server.send("GET", "/v1/experiments/churn/runs")).count == 1)

        // The dataset cannot go while an experiment uses it.
        APIServer.expectProblem(try server.send("DELETE", "/v1/datasets/trades"), 409)
        #expect(try server.send("DELETE", "/v1/experiments/churn").status == 204)
        #expect(try server.send("DELETE", "/v1/datasets/trades").status == 204)
    }

    @Test func terminalRuns_neverChange_evenFromSQL() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try Self.seedDataset(server)
        _ = try server.send("POST", "/v1/experiments", body: Self.churn)
        let run = APIServer.json(try server.send("POST", "/v1/experiments/churn/runs"))
        let id = try #require(UUID(uuidString: run["id"] as? String ?? ""))
        _ = try await server.query("UPDATE runs SET status = 'succeeded', finished_at = now() WHERE id = \(id)")
        await #expect(throws: PGError.self) {
            _ = try await server.query("UPDATE runs SET status = 'running' WHERE id = \(id)")
        }
        let after = APIServer.json(try server.send("GET", "/v1/experiments/churn/runs/\(id.uuidString.lowercased())"))
        #expect(after["status"] as? String == "succeeded")
    }

    @Test func create_validatesEveryField() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let response = try server.send("POST", "/v1/experiments", body: #"""
            {"name":"x","kubeflow":{"pipeline_id":"has space","pipeline_version_id":"ok"},
             "code":{"repository":"no-slash","branch":"bad..branch"},"image":"Upper/Case:tag",
             "dataset":"missing","trigger":"nightly"}
            """#)
        APIServer.expectProblem(response, 422)
        #expect(APIServer.errorFields(response) == ["kubeflow.pipeline_id", "code.repository", "code.branch", "image", "trigger"])
        let noDataset = try server.send("POST", "/v1/experiments", body: Self.churn)
        #expect(APIServer.errorFields(noDataset) == ["dataset"])
        let partial = try server.send("POST", "/v1/experiments", body: #"{"name":"x","kubeflow":{"pipeline_id":"a"}}"#)
        #expect(APIServer.errorFields(partial) == ["kubeflow.pipeline_version_id"])
        try Self.seedDataset(server)
        let badRun = try server.send("POST", "/v1/experiments", body: Self.churn)
        #expect(badRun.status == 201)
        let commit = try server.send("POST", "/v1/experiments/churn/runs", body: #"{"commit":"not-hex"}"#)
        #expect(APIServer.errorFields(commit) == ["commit"])
        APIServer.expectProblem(try server.send("POST", "/v1/experiments/nothing/runs"), 404)
    }
}
