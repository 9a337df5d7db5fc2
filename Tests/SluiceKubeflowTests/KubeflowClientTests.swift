import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluiceKubeflow
import SluiceTesting
import Testing

/// `KubeflowClient` against the fake Kubeflow server over real HTTP.
@Suite struct KubeflowClientTests {
    static let token = "kfp-test-token-0123456789"

    static func withFake(token: String? = token, _ body: (FakeKubeflow, KubeflowClient) async throws -> Void) async throws {
        let fake = try await FakeKubeflow.start(token: token)
        let client = KubeflowClient(
            baseURL: fake.baseURL + "/", authentication: token.map { .bearer($0) } ?? .none, http: try CurlHTTPClient(), timeout: .seconds(5))
        do {
            try await body(fake, client)
            await fake.stop()
        } catch {
            await fake.stop()
            throw error
        }
    }

    static func request(_ name: String = "sluice-run-1") -> KubeflowRunRequest {
        KubeflowRunRequest(
            displayName: name, experimentID: "exp-1", pipelineID: "pipe-1", pipelineVersionID: "ver-1",
            parameters: ["dataset_uri": .string("s3://rnd/x/"), "epochs": .number(3), "flags": KubeflowValue(["fast": true])])
    }

    @Test func createRun_sendsTheSwaggerShape_withTheBearerToken() async throws {
        try await Self.withFake { fake, client in
            let run = try await client.createRun(Self.request())
            #expect(run.state == .pending && run.displayName == "sluice-run-1" && run.experimentID == "exp-1")
            let sent = try #require(fake.createRequests.first)
            #expect(sent.authorization == "Bearer \(Self.token)")
            let json = sent.json
            #expect(json["display_name"] as? String == "sluice-run-1")
            #expect(json["experiment_id"] as? String == "exp-1")
            let reference = json["pipeline_version_reference"] as? [String: Any]
            #expect(reference?["pipeline_id"] as? String == "pipe-1" && reference?["pipeline_version_id"] as? String == "ver-1")
            let parameters = (json["runtime_config"] as? [String: Any])?["parameters"] as? [String: Any]
            #expect(parameters?["dataset_uri"] as? String == "s3://rnd/x/" && parameters?["epochs"] as? Double == 3)
        }
    }

    @Test func getRun_followsTheFakesStates_andTerminateCancels() async throws {
        try await Self.withFake { fake, client in
            let run = try await client.createRun(Self.request())
            fake.setState(run: run.runID, "RUNNING")
            #expect(try await client.getRun(id: run.runID).state == .running)
            try await client.terminateRun(id: run.runID)
            #expect(try await client.getRun(id: run.runID).state == .canceling)
            fake.setState(run: run.runID, "CANCELED")
            let done = try await client.getRun(id: run.runID)
            #expect(done.state == .canceled && done.state.isFinal)
        }
    }

    @Test func findRuns_matchesTheDisplayNameExactly() async throws {
        try await Self.withFake { _, client in
            let first = try await client.createRun(Self.request("sluice-run-a"))
            _ = try await client.createRun(Self.request("sluice-run-ab"))
            let found = try await client.findRuns(displayName: "sluice-run-a", experimentID: "exp-1")
            #expect(found.map(\.runID) == [first.runID])
            #expect(try await client.findRuns(displayName: "missing \"quoted\"", experimentID: nil).isEmpty)
        }
    }

    @Test func errors_carryTheStatusAndTheAPIsErrorBody() async throws {
        try await Self.withFake { fake, client in
            do {
                _ = try await client.getRun(id: "no-such-run")
                Issue.record("expected an error")
            } catch let error as KubeflowError {
                #expect(error.code == .httpStatus && error.status == 404 && error.isNotFound && !error.isTransient)
                #expect(error.body?.code == 5 && error.body?.message?.contains("not found") == true)
            }
            fake.setAvailability(.unavailable)
            do {
                _ = try await client.createRun(Self.request())
                Issue.record("expected an error")
            } catch let error as KubeflowError {
                #expect(error.status == 503 && error.body?.code == 14 && error.isTransient)
            }
        }
    }

    @Test func wrongToken_is401_andTheTokenIsNeverInTheDescription() async throws {
        try await Self.withFake { fake, _ in
            let wrong = KubeflowClient(baseURL: fake.baseURL, authentication: .bearer("wrong-token-value"), http: try CurlHTTPClient())
            do {
                _ = try await wrong.createRun(Self.request())
                Issue.record("expected an error")
            } catch let error as KubeflowError {
                #expect(error.status == 401 && error.body?.code == 16 && !error.isTransient)
                #expect(!"\(error)".contains("wrong-token-value") && !String(reflecting: error).contains("wrong-token-value"))
            }
            #expect(fake.runIDs.isEmpty)
        }
    }

    @Test func serverDown_isATransientTransportError_untilItComesBack() async throws {
        try await Self.withFake { fake, client in
            await fake.goDown()
            do {
                _ = try await client.getRun(id: "x")
                Issue.record("expected an error")
            } catch let error as KubeflowError {
                #expect(error.code == .transport && error.isTransient)
            }
            try await fake.comeBack()
            let run = try await client.createRun(Self.request())
            #expect(run.state == .pending)
        }
    }

    @Test func sigV4_signsForExecuteAPI_insteadOfTheBearerToken() async throws {
        try await Self.withFake(token: nil) { fake, _ in
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret-example"))
            let client = KubeflowClient(
                baseURL: fake.baseURL, authentication: .sigV4(credentials: credentials, region: "eu-west-1"), http: try CurlHTTPClient())
            _ = try await client.createRun(Self.request())
            let authorization = try #require(fake.createRequests.first?.authorization)
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
            #expect(authorization.contains("/eu-west-1/execute-api/aws4_request"))
            #expect(!authorization.contains("secret-example"))
        }
    }

    @Test func unknownStates_decodeWithoutFailing() throws {
        let run = try JSONDecoder().decode(KubeflowRun.self, from: Data(#"{"run_id":"r","state":"HIBERNATING"}"#.utf8))
        #expect(run.state == .unknown("HIBERNATING") && !run.state.isFinal)
        let bare = try JSONDecoder().decode(KubeflowRun.self, from: Data(#"{"run_id":"r"}"#.utf8))
        #expect(bare.state == .unspecified)
    }
}
