import Foundation
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import SluiceKubeflow
import SluicePostgres
import SluiceReconcile
import SluiceStore
import SluiceTesting
import Testing

/// The run reconciler, called pass by pass, against the real binary's
/// database (workers off, so only the test reconciles), moto's ECR and the
/// fake Kubeflow. Callbacks go through the binary.
@Suite(.serialized)
struct RunReconcilerTests {
    static let kubeflowToken = "kfp-bearer-0123456789"

    /// One test's world.
    struct Harness {
        let server: APIServer
        let fake: FakeKubeflow
        let pool: PGPool
        let digest: String
        let reconciler: RunReconciler
        let store: PostgresExperimentStore

        static func start(
            runner makeRunner: ((KubeflowPipelineRunner) -> (any PipelineRunner)?)? = nil,
            settings: RunReconciler.Settings = RunReconciler.Settings()
        ) async throws -> Harness {
            let moto = try await TestMoto.shared()
            guard let endpoint = AWSEndpoint(url: moto.endpoint) else { throw SetupFailure(description: "moto endpoint") }
            let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint, "ecr": endpoint])
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            let http = try CurlHTTPClient()
            let ecr = ECRClient(configuration: configuration, credentials: credentials, http: http)
            let repository = "models/runs-\(UUID().uuidString.prefix(8).lowercased())"
            try await ecr.createRepository(repository)
            let digest = try await ecr.putImage(repository: repository, manifest: ModelsAPITests.manifest, tag: "v1")
            var environment = moto.environment
            environment["SLUICE_WORKERS"] = "off"
            let server = try await APIServer.start(environment: environment)
            let fake = try await FakeKubeflow.start(token: kubeflowToken)
            let pool = PGPool(configuration: PGPoolConfiguration(url: server.database.url))
            let runner = KubeflowPipelineRunner(client: KubeflowClient(
                baseURL: fake.baseURL, authentication: .bearer(kubeflowToken), http: http, timeout: .seconds(5)))
            let store = PostgresExperimentStore(pool: pool)
            let reconciler = RunReconciler(
                store: store, runner: makeRunner.map { $0(runner) } ?? runner,
                verifier: AWSArtifactVerifier(ecr: ecr, s3: S3Client(configuration: configuration, credentials: credentials, http: http)),
                publicURL: "http://127.0.0.1:\(server.process.port)/", settings: settings)
            let harness = Harness(server: server, fake: fake, pool: pool, digest: digest, reconciler: reconciler, store: store)
            try harness.seed(image: "\(repository):v1")
            return harness
        }

        func stop() async {
            await pool.close()
            await fake.stop()
            server.stop()
        }

        /// Dataset `trades` and experiment `churn` (trigger manual).
        func seed(image: String) throws {
            guard try server.send("POST", "/v1/datasets", body: DatasetsAPITests.trades).status == 201 else {
                throw SetupFailure(description: "dataset")
            }
            let experiment = #"""
                {"name":"churn","kubeflow":{"pipeline_id":"pipe-1","pipeline_version_id":"ver-1","experiment_id":"kfp-exp-1"},
                 "code":{"repository":"data-science/churn","branch":"main"},"image":"\#(image)",
                 "dataset":"trades","parameters":{"learning_rate":0.1},"trigger":"manual"}
                """#
            let response = try server.send("POST", "/v1/experiments", body: experiment)
            guard response.status == 201 else { throw SetupFailure(description: "experiment: \(response)") }
        }

        func readyVersion(_ version: Int = 1) async throws {
            try await pool.query("""
                INSERT INTO dataset_versions (dataset_id, version, status, approved_funds_version, created_by)
                SELECT id, \(version), 'ready', 1, 'test' FROM datasets WHERE name = 'trades'
                """)
        }

        /// A new run of `churn`; returns its id.
        func startRun() throws -> String {
            let response = try server.send("POST", "/v1/experiments/churn/runs", body: #"{"commit":"0123456789abcdef0123456789abcdef01234567"}"#)
            guard response.status == 202, let id = APIServer.json(response)["id"] as? String else {
                throw SetupFailure(description: "run: \(response)")
            }
            return id
        }

        func run(_ id: String) throws -> [String: Any] {
            APIServer.json(try server.send("GET", "/v1/experiments/churn/runs/\(id)"))
        }

        func condition(_ id: String, _ type: String) throws -> [String: Any]? {
            (try run(id)["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == type }
        }

        /// The parameters Sluice sent to Kubeflow in its only create request.
        func sentParameters() throws -> [String: Any] {
            let create = try #require(fake.createRequests.first)
            return try #require((create.json["runtime_config"] as? [String: Any])?["parameters"] as? [String: Any])
        }

        func callback(_ id: String, token: String?, _ body: String) throws -> RawClient.Response {
            try server.send("POST", "/v1/callbacks/kubeflow/\(id)", token: token, body: body)
        }
    }

    static func withHarness(
        runner: ((KubeflowPipelineRunner) -> (any PipelineRunner)?)? = nil, settings: RunReconciler.Settings = RunReconciler.Settings(),
        _ body: (Harness) async throws -> Void
    ) async throws {
        let harness = try await Harness.start(runner: runner, settings: settings)
        do {
            try await body(harness)
            await harness.stop()
        } catch {
            await harness.stop()
            throw error
        }
    }

    @Test func submit_pollsToSuccess_withTheDigestDatasetAndCallback() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            let id = try h.startRun()
            #expect(try await h.reconciler.reconcile(key: id) == .requeue(after: .seconds(5)))
            var run = try h.run(id)
            let kubeflowID = try #require(run["kubeflow_run_id"] as? String)
            #expect(run["status"] as? String == "submitted" && run["image_digest"] as? String == h.digest)
            #expect(run["dataset_version"] as? Int == 1 && h.fake.runIDs == [kubeflowID])
            let create = try #require(h.fake.createRequests.first)
            #expect(create.authorization == "Bearer \(Self.kubeflowToken)")
            #expect(create.json["display_name"] as? String == "sluice-churn-\(id)" && create.json["experiment_id"] as? String == "kfp-exp-1")
            let parameters = try h.sentParameters()
            #expect(parameters["dataset_uri"] as? String == "s3://rnd/acme/trades/" && parameters["image_digest"] as? String == h.digest)
            #expect(parameters["commit"] as? String == "0123456789abcdef0123456789abcdef01234567")
            #expect(parameters["callback_url"] as? String == "http://127.0.0.1:\(h.server.process.port)/v1/callbacks/kubeflow/\(id)")
            #expect(parameters["learning_rate"] as? Double == 0.1)
            // Only the token's SHA-256 is stored.
            let token = try #require(parameters["callback_token"] as? String)
            let stored = try await h.pool.query("""
                SELECT callback_token_hash = sha256(convert_to(\(token)::text, 'UTF8')) AS matches,
                       position(\(token) in coalesce(encode(callback_token_hash, 'escape'), '')) AS plain
                FROM runs WHERE id = \(UUID(uuidString: id))
                """)
            #expect(try stored[0].decode("matches", as: Bool.self) && stored[0].decode("plain", as: Int.self) == 0)

            h.fake.setState(run: kubeflowID, "RUNNING")
            _ = try await h.reconciler.reconcile(key: id)
            #expect(try h.run(id)["status"] as? String == "running")
            let polled = try await h.reconciler.reconcile(key: id)
            #expect(polled == .requeue(after: .seconds(10)), "the interval grows while nothing changes")
            h.fake.setState(run: kubeflowID, "SUCCEEDED")
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            run = try h.run(id)
            #expect(run["status"] as? String == "succeeded" && !(run["finished_at"] is NSNull))
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            #expect(h.fake.createRequests.count == 1)
        }
    }

    @Test func callback_movesTheRunBeforeThePoll_andFinishedRunsStayFinished() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            let id = try h.startRun()
            _ = try await h.reconciler.reconcile(key: id)
            let token = try #require(try h.sentParameters()["callback_token"] as? String)
            APIServer.expectProblem(try h.callback(id, token: nil, #"{"state":"running"}"#), 401)
            APIServer.expectProblem(try h.callback(id, token: "not-the-token", #"{"state":"running"}"#), 401)
            APIServer.expectProblem(try h.callback(UUID().uuidString.lowercased(), token: token, #"{"state":"running"}"#), 401)
            APIServer.expectProblem(try h.callback(id, token: APIServer.adminSecret, #"{"state":"running"}"#), 401)
            APIServer.expectProblem(try h.callback(id, token: token, #"{"state":"#), 400)
            APIServer.expectProblem(try h.callback(id, token: token, #"{"state":"pending"}"#), 422)
            APIServer.expectProblem(try h.callback(id, token: token, #"{"state":"running","extra":1}"#), 422)
            #expect(try h.run(id)["status"] as? String == "submitted")

            let running = try h.callback(id, token: token, #"{"state":"running"}"#)
            #expect(running.status == 200 && APIServer.json(running)["status"] as? String == "running")
            let done = try h.callback(id, token: token, #"""
                {"state":"succeeded","metrics":{"auc":0.91},"artifacts":{"model":"s3://rnd/models/churn.mar"}}
                """#)
            #expect(done.status == 200, "\(done)")
            let run = try h.run(id)
            #expect(run["status"] as? String == "succeeded")
            #expect((run["metrics"] as? [String: Any])?["auc"] as? Double == 0.91)
            #expect((run["artifacts"] as? [String: Any])?["model"] as? String == "s3://rnd/models/churn.mar")
            // The reconciler sees a finished run and stops without asking Kubeflow.
            let before = h.fake.requests.count
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            #expect(h.fake.requests.count == before)
            // Late callbacks: the same state is a no-op, another a 409.
            #expect(try h.callback(id, token: token, #"{"state":"succeeded"}"#).status == 200)
            APIServer.expectProblem(try h.callback(id, token: token, #"{"state":"failed","message":"late"}"#), 409)
            #expect(try h.run(id)["status"] as? String == "succeeded")
        }
    }

    @Test func cancel_terminatesInKubeflow_thenEndsCanceled() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            let id = try h.startRun()
            _ = try await h.reconciler.reconcile(key: id)
            let kubeflowID = try #require(h.fake.runIDs.first)
            #expect(try h.server.send("POST", "/v1/experiments/churn/runs/\(id)/cancel").status == 202)
            _ = try await h.reconciler.reconcile(key: id)
            #expect(h.fake.requests.filter { $0.target == "/apis/v2beta1/runs/\(kubeflowID):terminate" }.count == 1)
            #expect(h.fake.run(kubeflowID)?["state"] as? String == "CANCELING")
            #expect(try h.run(id)["status"] as? String == "running")
            _ = try await h.reconciler.reconcile(key: id)
            #expect(h.fake.requests.filter { $0.target.hasSuffix(":terminate") }.count == 1, "terminate is asked once")
            h.fake.setState(run: kubeflowID, "CANCELED")
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            #expect(try h.run(id)["status"] as? String == "canceled")
        }
    }

    @Test func kubeflowDown_isRetried_withAConditionSayingWhy_thenConverges() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            let id = try h.startRun()
            await h.fake.goDown()
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            #expect(try h.run(id)["status"] as? String == "pending")
            #expect(try h.condition(id, "KubeflowReachable")?["status"] as? String == "False")
            try await h.fake.comeBack()
            h.fake.setAvailability(.unavailable)
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            #expect(try h.condition(id, "KubeflowReachable")?["message"] as? String ?? "" != "")
            h.fake.setAvailability(.up)
            _ = try await h.reconciler.reconcile(key: id)
            #expect(try h.run(id)["status"] as? String == "submitted")
            let kubeflowID = try #require(h.fake.runIDs.first)
            #expect(h.fake.runIDs.count == 1)
            // Down while polling: retried, then the poll catches up.
            h.fake.setState(run: kubeflowID, "FAILED", error: "train step exited 1")
            h.fake.setAvailability(.unavailable)
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            h.fake.setAvailability(.up)
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            let run = try h.run(id)
            #expect(run["status"] as? String == "failed" && run["reason"] as? String == "train step exited 1")
        }
    }

    /// A runner whose submit reaches Kubeflow and then "crashes" before
    /// Sluice hears the answer, once.
    /// A runner that passes every call to the real one; subclasses change `submit`.
    class ForwardingRunner: PipelineRunner, @unchecked Sendable {
        let inner: any PipelineRunner
        let lock = NSLock()
        init(_ inner: any PipelineRunner) { self.inner = inner }

        func submit(_ submission: PipelineSubmission) async throws -> PipelineRunObservation { try await inner.submit(submission) }

        func find(marker: String, pipeline: KubeflowPipelineRef) async throws -> PipelineRunObservation? {
            try await inner.find(marker: marker, pipeline: pipeline)
        }

        func observe(engineRunID: String) async throws -> PipelineRunObservation { try await inner.observe(engineRunID: engineRunID) }
        func cancel(engineRunID: String) async throws { try await inner.cancel(engineRunID: engineRunID) }
    }

    final class CrashAfterSubmit: ForwardingRunner, @unchecked Sendable {
        var crashed = false

        override func submit(_ submission: PipelineSubmission) async throws -> PipelineRunObservation {
            let observed = try await inner.submit(submission)
            let crash = lock.withLock { defer { crashed = true }; return !crashed }
            if crash { throw PipelineRunnerError(.unavailable, "connection reset after the request was sent") }
            return observed
        }
    }

    @Test func submissionLostAfterKubeflowCreatedIt_isFoundByMarker_notRepeated() async throws {
        try await Self.withHarness(runner: { CrashAfterSubmit($0) }) { h in
            try await h.readyVersion()
            let id = try h.startRun()
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            #expect(try h.run(id)["status"] as? String == "pending" && h.fake.createRequests.count == 1)
            _ = try await h.reconciler.reconcile(key: id)
            let run = try h.run(id)
            #expect(run["status"] as? String == "submitted" && run["kubeflow_run_id"] as? String == h.fake.runIDs.first)
            #expect(h.fake.createRequests.count == 1)
        }
    }

    /// A cancel that arrives after a submission whose answer was lost must
    /// not end the run in Sluice alone: Kubeflow may have it. The next pass
    /// finds it by its name, and the poll terminates it there.
    @Test func cancelAfterALostSubmission_terminatesTheKubeflowRun() async throws {
        try await Self.withHarness(runner: { CrashAfterSubmit($0) }) { h in
            try await h.readyVersion()
            let id = try h.startRun()
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            let kubeflowID = try #require(h.fake.runIDs.first)
            #expect(try h.server.send("POST", "/v1/experiments/churn/runs/\(id)/cancel").status == 202)
            #expect(try h.run(id)["status"] as? String == "pending")
            #expect(try await h.reconciler.reconcile(key: id) == .requeue(after: .zero))
            #expect(try h.run(id)["kubeflow_run_id"] as? String == kubeflowID)
            _ = try await h.reconciler.reconcile(key: id)
            #expect(h.fake.requests.filter { $0.target == "/apis/v2beta1/runs/\(kubeflowID):terminate" }.count == 1)
            h.fake.setState(run: kubeflowID, "CANCELED")
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            #expect(try h.run(id)["status"] as? String == "canceled")
            #expect(h.fake.createRequests.count == 1)
        }
    }

    /// A run whose submission was attempted stays pending when canceled
    /// (Kubeflow may have it); a pass that read it before the cancel cannot
    /// record a new intent, and the next pass, finding no run by its name,
    /// ends it without submitting.
    @Test func intentAfterACancel_isRefused_andNothingIsSubmitted() async throws {
        var settings = RunReconciler.Settings()
        settings.submitSettle = .zero
        try await Self.withHarness(settings: settings) { h in
            try await h.readyVersion()
            let id = try h.startRun()
            let runID = try #require(UUID(uuidString: id))
            let intent = RunSubmitIntent(imageDigest: h.digest, datasetVersion: 1, callbackToken: "t")
            #expect(try await h.store.recordSubmitIntent(id: runID, intent: intent))  // as a pass that then crashed
            #expect(try h.server.send("POST", "/v1/experiments/churn/runs/\(id)/cancel").status == 202)
            #expect(try h.run(id)["status"] as? String == "pending")
            #expect(try await !h.store.recordSubmitIntent(id: runID, intent: intent))
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            #expect(try h.run(id)["status"] as? String == "canceled")
            #expect(h.fake.createRequests.isEmpty)
        }
    }

    /// A run keeps the experiment's spec as it was when the run started
    /// (decision 83): an `apply` that moves the experiment to another
    /// dataset, image and pipeline before the run is submitted changes
    /// neither what is submitted nor the lineage a model version gets.
    @Test func aRunKeepsTheSpecItStartedWith() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            let id = try h.startRun()
            let runID = try #require(UUID(uuidString: id))
            let experiment = APIServer.json(try h.server.send("GET", "/v1/experiments/churn"))
            let image = try #require(experiment["image"] as? String)
            let quotes: [String: Any] = ["kind": "Dataset", "metadata": ["name": "quotes"], "spec": [
                "client": "acme", "source_uri": "s3://staging/acme/quotes/", "destination_uri": "s3://rnd/acme/quotes/",
                "format": "csv", "fund_column": "fund_id",
            ]]
            let moved: [String: Any] = ["kind": "Experiment", "metadata": ["name": "churn"], "spec": [
                "kubeflow": ["pipeline_id": "pipe-2", "pipeline_version_id": "ver-2", "experiment_id": "kfp-exp-1"],
                "code": ["repository": "data-science/churn", "branch": "next"], "image": image.replacingOccurrences(of: ":v1", with: ":v2"),
                "dataset": "quotes", "parameters": ["learning_rate": 0.1], "trigger": "manual",
            ]]
            // The version the run trains on was written to trades' first
            // destination (pinned, as a version requested now would be);
            // the dataset then moves.
            try await h.pool.query("UPDATE dataset_versions SET destination_uri = 's3://rnd/acme/trades/'")
            let tradesMoved: [String: Any] = ["kind": "Dataset", "metadata": ["name": "trades"], "spec": [
                "client": "acme", "source_uri": "s3://staging/acme/trades/", "destination_uri": "s3://rnd/acme/trades-moved/",
                "format": "csv", "fund_column": "fund_id",
            ]]
            let applied = try h.server.send("POST", "/v1/apply", body: try APIServer.encode(["documents": [quotes, tradesMoved, moved]]))
            #expect(applied.status == 200, "\(applied)")
            _ = try await h.reconciler.reconcile(key: id)
            #expect(try h.run(id)["status"] as? String == "submitted")
            let sent = try h.sentParameters()
            #expect(sent["dataset_uri"] as? String == "s3://rnd/acme/trades/")
            #expect((sent["image"] as? String)?.hasSuffix("@\(h.digest)") == true)
            let create = try #require(h.fake.createRequests.first)
            #expect((create.json["pipeline_version_reference"] as? [String: Any])?["pipeline_version_id"] as? String == "ver-1")
            try await h.pool.query("UPDATE runs SET status = 'succeeded', finished_at = now() WHERE id = \(runID)")
            let lineage = try await PostgresModelStore(pool: h.pool).lineage(ofRun: runID)
            #expect(lineage.dataset == "trades" && lineage.datasetVersion == 1)
        }
    }

    /// A runner whose create times out on Sluice's side while Kubeflow
    /// stores the run later, once: when the test calls ``land()`` (a fixed
    /// delay could run out before the test's first look on a loaded machine).
    final class LateCreate: ForwardingRunner, @unchecked Sendable {
        var timedOut = false
        var landing = false
        var late: Task<Void, Never>?

        /// Kubeflow stores the run that timed out now.
        func land() { lock.withLock { landing = true } }

        override func submit(_ submission: PipelineSubmission) async throws -> PipelineRunObservation {
            let first = lock.withLock { defer { timedOut = true }; return !timedOut }
            guard first else { return try await inner.submit(submission) }
            let inner = self.inner
            let task = Task { [self] in
                let deadline = ContinuousClock.now + .seconds(30)
                while !lock.withLock({ landing }) && ContinuousClock.now < deadline && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                _ = try? await inner.submit(submission)
            }
            lock.withLock { late = task }
            throw PipelineRunnerError(.unavailable, "creating the run: Kubeflow could not be reached (timeout)", outcomeUnknown: true)
        }
    }

    /// A create that timed out may still be stored by Kubeflow: until the
    /// settle time has passed the run is only looked up, never submitted
    /// again, so Kubeflow never holds two runs of it.
    @Test func createThatTimedOut_butLandedLate_isFound_notRepeated() async throws {
        var settings = RunReconciler.Settings()
        settings.submitSettle = .seconds(10)
        final class Made: @unchecked Sendable {
            let lock = NSLock()
            var runner: LateCreate?
            var current: LateCreate? { lock.withLock { runner } }
        }
        let made = Made()
        try await Self.withHarness(runner: { inner in
            let late = LateCreate(inner)
            made.lock.withLock { made.runner = late }
            return late
        }, settings: settings) { h in
            defer {
                if let runner = made.current { runner.lock.withLock { runner.late }?.cancel() }
            }
            try await h.readyVersion()
            let id = try h.startRun()
            await #expect(throws: PipelineRunnerError.self) { try await h.reconciler.reconcile(key: id) }
            #expect(try h.condition(id, "Submitted")?["reason"] as? String == "AnswerLost")
            // Straight away: not found yet, and not submitted again.
            guard case .requeue(let after) = try await h.reconciler.reconcile(key: id) else {
                Issue.record("the run was not requeued")
                return
            }
            #expect(after > .seconds(5) && after <= .seconds(10))
            #expect(h.fake.createRequests.isEmpty)
            // Kubeflow stores it late; the next look finds it.
            made.current?.land()
            for _ in 0..<200 where h.fake.createRequests.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            _ = try await h.reconciler.reconcile(key: id)
            let run = try h.run(id)
            #expect(run["status"] as? String == "submitted" && run["kubeflow_run_id"] as? String == h.fake.runIDs.first)
            #expect(h.fake.createRequests.count == 1)
            #expect(try h.condition(id, "Submitted")?["status"] as? String == "True")
        }
    }

    @Test func noReadyDatasetVersion_staysPending_untilOneIsReady() async throws {
        try await Self.withHarness { h in
            let id = try h.startRun()
            #expect(try await h.reconciler.reconcile(key: id) == .requeue(after: .seconds(60)))
            let condition = try #require(try h.condition(id, "DatasetReady"))
            #expect(condition["status"] as? String == "False" && (condition["message"] as? String)?.contains("trades") == true)
            #expect(h.fake.requests.isEmpty)
            try await h.readyVersion(2)
            _ = try await h.reconciler.reconcile(key: id)
            let run = try h.run(id)
            #expect(run["status"] as? String == "submitted" && run["dataset_version"] as? Int == 2)
        }
    }

    @Test func kubeflowNotConfigured_staysPendingWithACondition() async throws {
        try await Self.withHarness(runner: { _ in nil }) { h in
            try await h.readyVersion()
            let id = try h.startRun()
            #expect(try await h.reconciler.reconcile(key: id) == .requeue(after: .seconds(60)))
            #expect(try h.run(id)["status"] as? String == "pending")
            let message = try h.condition(id, "KubeflowConfigured")?["message"] as? String
            #expect(message?.contains("SLUICE_KUBEFLOW_URL") == true)
        }
    }

    @Test func unknownImageTag_failsTheRun_withoutSubmitting() async throws {
        try await Self.withHarness { h in
            try await h.readyVersion()
            try await h.pool.query("UPDATE experiments SET image = 'models/missing-image:v9' WHERE name = 'churn'")
            let id = try h.startRun()
            #expect(try await h.reconciler.reconcile(key: id) == .done)
            let run = try h.run(id)
            #expect(run["status"] as? String == "failed" && (run["reason"] as? String)?.contains("missing-image") == true)
            #expect(h.fake.requests.isEmpty)
            await #expect(throws: ReconcileError.permanent("'nope' is not a run id")) { try await h.reconciler.reconcile(key: "nope") }
        }
    }

    /// The worker loop of the binary itself (workers on): the run goes to
    /// Kubeflow, survives an outage of it, and finishes by a poll.
    @Test(.timeLimit(.minutes(2)))
    func binaryWorkers_submitRetryAndFinish() async throws {
        let moto = try await TestMoto.shared()
        guard let endpoint = AWSEndpoint(url: moto.endpoint) else { throw SetupFailure(description: "moto endpoint") }
        let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["ecr": endpoint])
        let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        let ecr = ECRClient(configuration: configuration, credentials: credentials, http: try CurlHTTPClient())
        let repository = "models/runs-\(UUID().uuidString.prefix(8).lowercased())"
        try await ecr.createRepository(repository)
        _ = try await ecr.putImage(repository: repository, manifest: ModelsAPITests.manifest, tag: "v1")
        let fake = try await FakeKubeflow.start(token: Self.kubeflowToken)
        await fake.goDown()
        var environment = moto.environment
        environment["SLUICE_KUBEFLOW_URL"] = fake.baseURL
        environment["SLUICE_KUBEFLOW_TOKEN"] = Self.kubeflowToken
        environment["SLUICE_RECONCILE_INTERVAL"] = "1"
        let server = try await APIServer.start(environment: environment)
        let pool = PGPool(configuration: PGPoolConfiguration(url: server.database.url))
        let h = Harness(
            server: server, fake: fake, pool: pool, digest: "",
            reconciler: RunReconciler(store: PostgresExperimentStore(pool: pool), runner: nil, verifier: nil, publicURL: ""),
            store: PostgresExperimentStore(pool: pool))
        defer { server.stop() }
        do {
            try h.seed(image: "\(repository):v1")
            try await h.readyVersion()
            let id = try h.startRun()
            try await Self.eventually { try h.condition(id, "KubeflowReachable")?["status"] as? String == "False" }
            #expect(try h.run(id)["status"] as? String == "pending")
            try await fake.comeBack()
            try await Self.eventually { try h.run(id)["status"] as? String == "submitted" }
            let kubeflowID = try #require(fake.runIDs.first)
            fake.setState(run: kubeflowID, "SUCCEEDED")
            try await Self.eventually { try h.run(id)["status"] as? String == "succeeded" }
            #expect(fake.createRequests.count == 1)
            await pool.close()
            await fake.stop()
        } catch {
            await pool.close()
            await fake.stop()
            throw error
        }
    }

    @Test func kubeflowStates_mapToSluiceStates() {
        let expected: [KubeflowRuntimeState: RunStatus?] = [
            .unspecified: nil, .pending: .submitted, .running: .running, .succeeded: .succeeded, .skipped: .succeeded,
            .failed: .failed, .canceling: .running, .canceled: .canceled, .paused: .running, .unknown("NEW"): nil,
        ]
        #expect(Set(expected.keys).isSuperset(of: KubeflowRuntimeState.documented))
        for (state, status) in expected {
            #expect(KubeflowPipelineRunner.status(of: state) == status, "\(state)")
        }
    }

    @Test func pollInterval_doubles_upToTheCap() {
        var settings = RunReconciler.Settings()
        settings.firstPoll = .seconds(5)
        settings.maxPoll = .seconds(30)
        let reconciler = RunReconciler(
            store: PostgresExperimentStore(pool: PGPool(configuration: PGPoolConfiguration(url: "postgres://127.0.0.1:1/unused"))),
            runner: nil, verifier: nil, publicURL: "http://x", settings: settings)
        #expect((0...6).map { reconciler.pollDelay(after: $0) } == [5, 10, 20, 30, 30, 30, 30].map { Duration.seconds($0) })
        #expect(reconciler.pollDelay(after: 10_000) == .seconds(30))
        let token = RunReconciler.randomToken()
        #expect(token.count == 64 && token != RunReconciler.randomToken())
    }

    /// Waits up to 30 s for `condition`.
    static func eventually(_ condition: () throws -> Bool) async throws {
        for _ in 0..<300 {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met in 30 s")
    }
}
