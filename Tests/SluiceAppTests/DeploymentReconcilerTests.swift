import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluicePostgres
import SluiceTesting
import Testing

/// The deployment reconciler through the real binary against moto (EC2,
/// ECR and S3, signatures checked): instances are counted in EC2 by their
/// tags, never taken from Sluice's word.
@Suite(.serialized)
struct DeploymentReconcilerTests {
    /// The cloud of one test: an image in ECR, an artifact in S3, EC2.
    struct Cloud {
        let moto: TestMoto
        let ec2: EC2Client
        let ecr: ECRClient
        let s3: S3Client
        let repository: String
        let bucket: String
        let digest: String

        static func make() async throws -> Cloud {
            let moto = try await TestMoto.shared()
            guard let endpoint = AWSEndpoint(url: moto.endpoint) else { throw SetupFailure(description: "moto endpoint") }
            let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint, "ecr": endpoint, "ec2": endpoint])
            let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
            let http = try CurlHTTPClient()
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let ecr = ECRClient(configuration: configuration, credentials: credentials, http: http)
            let s3 = S3Client(configuration: configuration, credentials: credentials, http: http)
            let repository = "models/fleet-\(suffix)"
            let bucket = "rnd-fleet-\(suffix)"
            try await ecr.createRepository(repository)
            let digest = try await ecr.putImage(repository: repository, manifest: ModelsAPITests.manifest, tag: "v1")
            try await s3.createBucket(bucket)
            try await s3.putObject(bucket: bucket, key: "churn/model.mar", body: Array("weights".utf8))
            return Cloud(
                moto: moto, ec2: EC2Client(configuration: configuration, credentials: credentials, http: http), ecr: ecr, s3: s3,
                repository: repository, bucket: bucket, digest: digest)
        }

        /// Every instance ever launched for the deployment, terminated ones
        /// included (moto keeps them): what sampling the live ones between
        /// two polls could miss.
        func everLaunched(_ deployment: String, revision: Int? = nil) async throws -> [EC2Instance] {
            var filters = [EC2Filter("tag:sluice:deployment", [deployment])]
            if let revision { filters.append(EC2Filter("tag:sluice:revision", [String(revision)])) }
            return try await ec2.describeInstances(filters: filters)
        }

        /// The deployment's instances that are not terminated, as EC2 says.
        func instances(_ deployment: String) async throws -> [EC2Instance] {
            try await ec2.describeInstances(filters: [
                EC2Filter("tag:sluice:deployment", [deployment]),
                EC2Filter("instance-state-name", ["pending", "running", "stopping", "stopped"]),
            ])
        }
    }

    static func start(_ cloud: Cloud, environment extra: [String: String] = [:], database: TestDatabase? = nil) async throws -> APIServer {
        var environment = cloud.moto.environment
        environment["SLUICE_INSTANCE_HEALTHCHECK"] = "off"
        environment["SLUICE_EC2_AMI"] = "ami-12c6146b"
        environment["SLUICE_RECONCILE_INTERVAL"] = "1"
        environment.merge(extra) { $1 }
        if let database { return try await APIServer.start(database: database, environment: environment) }
        return try await APIServer.start(environment: environment)
    }

    /// Registers version `version` of model `churn` through the API (the
    /// image and artifact are checked there).
    static func register(_ server: APIServer, _ cloud: Cloud) throws {
        _ = try server.send("POST", "/v1/models", body: #"{"name":"churn","task":"classification"}"#)
        let body = #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/model.mar","image":"\#(cloud.repository):v1"}"#
        let response = try server.send("POST", "/v1/models/churn/versions", body: body)
        guard response.status == 201 else { throw SetupFailure(description: "version: \(response)") }
    }

    static func deploy(_ server: APIServer, name: String, replicas: Int, version: Int = 1) throws -> String {
        let response = try server.send("POST", "/v1/deployments", body: #"""
            {"name":"\#(name)","region":"us-east-1","endpoint":"churn","model":"churn","version":\#(version),"mode":"stealth",
             "replicas":\#(replicas),"instance_type":"t3.micro"}
            """#)
        guard response.status == 201, let id = APIServer.json(response)["id"] as? String else {
            throw SetupFailure(description: "deploy: \(response)")
        }
        return id
    }

    /// Polls the deployment until `done` holds (60 s at most).
    @discardableResult
    static func waitFor(
        _ server: APIServer, _ id: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ done: ([String: Any]) async throws -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(60)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let response = try server.send("GET", "/v1/deployments/\(id)")
            last = APIServer.json(response)
            if response.status == 404 { last = ["gone": true] }
            if try await done(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting for \(what); last: \(last)", sourceLocation: sourceLocation)
        return last
    }

    static func status(_ deployment: [String: Any]) -> [String: Any] { deployment["status"] as? [String: Any] ?? [:] }
    static func phase(_ deployment: [String: Any]) -> String? { status(deployment)["phase"] as? String }
    static func conditions(_ deployment: [String: Any]) -> [String: [String: Any]] {
        var byType: [String: [String: Any]] = [:]
        for condition in status(deployment)["conditions"] as? [[String: Any]] ?? [] {
            if let type = condition["type"] as? String { byType[type] = condition }
        }
        return byType
    }

    @Test func scale_replace_roll_delete() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.start(cloud)
        defer { server.stop() }
        try Self.register(server, cloud)
        let id = try Self.deploy(server, name: "fleet", replicas: 2)

        // Two tagged instances, running, and the deployment ready.
        try await Self.waitFor(server, id, "2 ready") { Self.phase($0) == "ready" }
        var instances = try await cloud.instances(id)
        #expect(instances.count == 2)
        for instance in instances {
            #expect(instance.state == "running")
            #expect(instance.tags["sluice:revision"] == "1")
            #expect(instance.tags["sluice:mode"] == "stealth")
            #expect(instance.tags["sluice:region"] == "us-east-1")
            #expect(instance.instanceType == "t3.micro")
        }
        let shown = Self.status(APIServer.json(try server.send("GET", "/v1/deployments/\(id)")))
        #expect(Set((shown["instances"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == Set(instances.map(\.id)))
        #expect(Self.conditions(APIServer.json(try server.send("GET", "/v1/deployments/\(id)")))["Ready"]?["status"] as? String == "True")

        // Scale to 3, then to 1.
        #expect(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":3}"#).status == 200)
        try await Self.waitFor(server, id, "3 ready") { deployment in
            guard Self.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(id).count == 3
        }
        #expect(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":1}"#).status == 200)
        try await Self.waitFor(server, id, "1 ready") { deployment in
            guard Self.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(id).count == 1
        }

        // An instance terminated behind Sluice's back is replaced.
        instances = try await cloud.instances(id)
        let victim = try #require(instances.first).id
        try await cloud.ec2.terminateInstances([victim])
        try await Self.waitFor(server, id, "replacement") { _ in
            let now = try await cloud.instances(id)
            return now.count == 1 && now[0].id != victim && now[0].state == "running"
        }

        // A new version rolls the instances: never more than one extra.
        #expect(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":2}"#).status == 200)
        try await Self.waitFor(server, id, "2 ready again") { deployment in
            guard Self.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(id).count == 2
        }
        let body = #"{"artifact_uri":"s3://\#(cloud.bucket)/churn/model.mar","image":"\#(cloud.repository):v1"}"#
        #expect(try server.send("POST", "/v1/models/churn/versions", body: body).status == 201)
        #expect(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"version":2}"#).status == 200)
        var most = 0
        try await Self.waitFor(server, id, "rolled to revision 2") { deployment in
            let now = try await cloud.instances(id)
            most = max(most, now.count)
            return Self.phase(deployment) == "ready" && now.count == 2 && now.allSatisfy { $0.tags["sluice:revision"] == "2" }
        }
        #expect(most <= 3, "a roll keeps at most replicas + 1 instances")
        // Exactly two of revision 2 were ever launched: none launched and
        // terminated between two polls.
        #expect(try await cloud.everLaunched(id, revision: 2).count == 2)
        let actions = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(id)&limit=100")).compactMap { $0["action"] as? String }
        #expect(actions.contains("deployment.instances_launched"))
        #expect(actions.contains("deployment.instances_terminated"))

        // Delete: every instance terminated, then the deployment is gone.
        #expect(try server.send("DELETE", "/v1/deployments/\(id)").status == 202)
        try await Self.waitFor(server, id, "deleted") { $0["gone"] as? Bool == true }
        #expect(try await cloud.instances(id).isEmpty)
    }

    @Test func deletion_terminatesTheInstancesItRecorded_evenWhenTheListingMissesThem() async throws {
        let cloud = try await Cloud.make()
        // No steady-state passes: nothing looks at the fleet between the
        // retagging and the deletion.
        let server = try await Self.start(cloud, environment: ["SLUICE_RECONCILE_INTERVAL": "3600"])
        defer { server.stop() }
        try Self.register(server, cloud)
        let id = try Self.deploy(server, name: "unlisted", replicas: 1)
        try await Self.waitFor(server, id, "ready") { Self.phase($0) == "ready" }
        let instance = try #require(try await cloud.instances(id).first)
        // EC2's listings are eventually consistent: a tag-filtered listing
        // may miss an instance launched a moment ago. Retagging makes
        // moto's listing miss it the same way.
        try await cloud.ec2.createTags(resourceIDs: [instance.id], tags: ["sluice:deployment": "not-listed"])
        #expect(try await cloud.instances(id).isEmpty)
        #expect(try server.send("DELETE", "/v1/deployments/\(id)").status == 202)
        try await Self.waitFor(server, id, "deleted") { $0["gone"] as? Bool == true }
        // Before, the deletion finished on the empty listing and the instance ran on.
        let after = try await cloud.ec2.describeInstances(instanceIDs: [instance.id])
        #expect(after.map(\.state).allSatisfy { $0 == "shutting-down" || $0 == "terminated" } && after.count == 1, "\(after)")
    }

    /// A launch the cloud refuses for good (an instance type that does not
    /// exist) says so and waits for a change, instead of being retried with
    /// backoff as "cloud unreachable" until it is parked.
    @Test func aRefusedLaunch_saysWhy_andAChangeFixesIt() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.start(cloud)
        defer { server.stop() }
        try Self.register(server, cloud)
        let response = try server.send("POST", "/v1/deployments", body: #"""
            {"name":"refused","region":"us-east-1","endpoint":"churn","model":"churn","version":1,"mode":"stealth",
             "replicas":1,"instance_type":"t3.nosuchsize"}
            """#)
        let id = try #require(APIServer.json(response)["id"] as? String, "\(response)")
        let refused = try await Self.waitFor(server, id, "refused") { Self.conditions($0)["Launched"] != nil }
        #expect(Self.phase(refused) == "degraded")
        #expect(Self.conditions(refused)["Launched"]?["reason"] as? String == "InvalidInstanceType.NotFound", "\(refused)")
        #expect(Self.conditions(refused)["CloudReachable"] == nil, "\(refused)")
        #expect(try await cloud.instances(id).isEmpty)
        #expect(try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"instance_type":"t3.micro"}"#).status == 200)
        let ready = try await Self.waitFor(server, id, "ready after the fix") { Self.phase($0) == "ready" }
        #expect(Self.conditions(ready)["Launched"] == nil, "\(ready)")
        #expect(try server.send("DELETE", "/v1/deployments/\(id)").status == 202)
        try await Self.waitFor(server, id, "deleted") { $0["gone"] as? Bool == true }
    }

    @Test func cli_waitsForReady_thenForTheTeardown() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.start(cloud)
        defer { server.stop() }
        try Self.register(server, cloud)
        let cli = try CLIRunner(server: server)
        let created = try cli.run([
            "deployments", "create", "-o", "id", "--name", "waited", "--region", "us-east-1", "--endpoint", "churn", "--model", "churn",
            "--version", "1", "--mode", "stealth", "--replicas", "2", "--instance-type", "t3.micro", "--wait", "--timeout", "60",
        ])
        #expect(created.status == 0, "\(created)")
        let id = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(created.error.contains("deployment \(id): ready"), "\(created)")
        #expect(try await cloud.instances(id).count == 2, "ready means both instances are there")
        let scaled = try cli.run(["deployments", "scale", id, "--replicas", "1", "--wait", "--timeout", "60", "-o", "json"])
        #expect(scaled.status == 0, "\(scaled)")
        #expect(try await cloud.instances(id).count == 1)
        let deleted = try cli.run(["deployments", "delete", id, "--wait", "--timeout", "60"])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(deleted.output.contains("deleted"), "\(deleted)")
        #expect(try await cloud.instances(id).isEmpty)
    }

    /// A version is immutable: an artifact replaced under its key after
    /// registration is not launched (DESIGN.md §4 lineage).
    @Test func artifactReplacedAfterRegistration_isNotLaunched() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.start(cloud)
        defer { server.stop() }
        try await cloud.s3.putObject(bucket: cloud.bucket, key: "churn/replaced.mar", body: Array("other weights".utf8))
        _ = try await server.query("INSERT INTO models (name, task) VALUES ('churn', 'classification')")
        _ = try await server.query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, artifact_etag, image, image_digest, created_by)
            SELECT id, 1, \("s3://\(cloud.bucket)/churn/replaced.mar"), '0123456789abcdef0123456789abcdef',
                   \(cloud.repository + ":v1"), \(cloud.digest), 'test' FROM models
            """)
        let id = try Self.deploy(server, name: "replaced", replicas: 1, version: 1)
        let deployment = try await Self.waitFor(server, id, "ArtifactChanged") {
            Self.conditions($0)["Verified"]?["reason"] as? String == "ArtifactChanged"
        }
        #expect(Self.phase(deployment) == "degraded")
        #expect((Self.conditions(deployment)["Verified"]?["message"] as? String)?.contains("registered 0123456789abcdef0123456789abcdef") == true)
        #expect(try await cloud.instances(id).isEmpty)
    }

    @Test func missingImageOrArtifact_setsTheCondition_thenRecovers() async throws {
        let cloud = try await Cloud.make()
        let server = try await Self.start(cloud)
        defer { server.stop() }
        // Version 1 names an image digest in an empty repository; version 2
        // an artifact that is not there yet. Both are seeded past the
        // registration checks, as if they had been deleted since.
        let empty = cloud.repository + "-later"
        try await cloud.ecr.createRepository(empty)
        _ = try await server.query("INSERT INTO models (name, task) VALUES ('churn', 'classification')")
        _ = try await server.query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, image, image_digest, created_by)
            SELECT id, 1, \("s3://\(cloud.bucket)/churn/model.mar"), \(empty + ":v1"), \(cloud.digest), 'test' FROM models
            """)
        _ = try await server.query("""
            INSERT INTO model_versions (model_id, version, artifact_uri, image, image_digest, created_by)
            SELECT id, 2, \("s3://\(cloud.bucket)/churn/later.mar"), \(cloud.repository + ":v1"), \(cloud.digest), 'test' FROM models
            """)

        let imageless = try Self.deploy(server, name: "imageless", replicas: 1, version: 1)
        let noArtifact = try Self.deploy(server, name: "no-artifact", replicas: 1, version: 2)
        let first = try await Self.waitFor(server, imageless, "ImageNotFound") { Self.conditions($0)["Verified"]?["reason"] as? String == "ImageNotFound" }
        #expect(Self.phase(first) == "degraded")
        let second = try await Self.waitFor(server, noArtifact, "ArtifactNotFound") { Self.conditions($0)["Verified"]?["reason"] as? String == "ArtifactNotFound" }
        #expect(Self.phase(second) == "degraded")
        #expect(try await cloud.instances(imageless).isEmpty)
        #expect(try await cloud.instances(noArtifact).isEmpty)

        // They appear; the deployments recover by themselves.
        _ = try await cloud.ecr.putImage(repository: empty, manifest: ModelsAPITests.manifest, tag: "v1")
        try await cloud.s3.putObject(bucket: cloud.bucket, key: "churn/later.mar", body: Array("weights".utf8))
        try await Self.waitFor(server, imageless, "recovered image") { deployment in
            guard Self.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(imageless).count == 1
        }
        try await Self.waitFor(server, noArtifact, "recovered artifact") { deployment in
            guard Self.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(noArtifact).count == 1
        }
        #expect(Self.conditions(APIServer.json(try server.send("GET", "/v1/deployments/\(imageless)")))["Verified"]?["status"] as? String == "True")
    }
}

/// Crashes and replicas: the cloud never holds more instances than asked.
@Suite(.serialized)
struct DeploymentCrashTests {
    typealias Cloud = DeploymentReconcilerTests.Cloud

    @Test func killDashNine_duringScaleUp_neverLeavesAnExtraInstance() async throws {
        let cloud = try await Cloud.make()
        let database = try await TestPostgres.shared().createDatabase()
        let environment = ["SLUICE_RECONCILE_LEASE": "2"]
        var server = try await DeploymentReconcilerTests.start(cloud, environment: environment, database: database)
        try DeploymentReconcilerTests.register(server, cloud)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let replicas = 2 + round % 3
            let id = try DeploymentReconcilerTests.deploy(server, name: "crash-\(round)", replicas: replicas)
            // Somewhere between "just created" and "launching".
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...600, using: &generator)))
            kill(server.process.process.processIdentifier, SIGKILL)
            _ = server.process.waitForExit(timeout: 10)
            server = try await DeploymentReconcilerTests.start(cloud, environment: environment, database: database)
            var most = 0
            try await DeploymentReconcilerTests.waitFor(server, id, "round \(round) converged") { deployment in
                let count = try await cloud.instances(id).count
                most = max(most, count)
                return DeploymentReconcilerTests.phase(deployment) == "ready" && count == replicas
            }
            #expect(most <= replicas, "round \(round): \(most) instances for \(replicas) replicas")
            // Not only never seen: never launched.
            let launched = try await cloud.everLaunched(id)
            #expect(launched.count == replicas, "round \(round): \(launched.count) launched for \(replicas) replicas")
        }
        server.stop()
    }

    @Test func twoReplicas_oneDatabase_neverActTwice() async throws {
        let cloud = try await Cloud.make()
        let database = try await TestPostgres.shared().createDatabase()
        let first = try await DeploymentReconcilerTests.start(cloud, database: database)
        defer { first.stop() }
        let second = try await DeploymentReconcilerTests.start(cloud, database: database)
        defer { second.stop() }
        try DeploymentReconcilerTests.register(first, cloud)
        let ids = try (0..<8).map { index in
            try DeploymentReconcilerTests.deploy(index % 2 == 0 ? first : second, name: "pair-\(index)", replicas: 2)
        }
        for id in ids {
            try await DeploymentReconcilerTests.waitFor(first, id, "\(id) ready") { DeploymentReconcilerTests.phase($0) == "ready" }
        }
        for id in ids {
            #expect(try await cloud.instances(id).count == 2)
            let launches = APIServer.items(try first.send("GET", "/v1/events?resource=deployment/\(id)&limit=100"))
                .filter { $0["action"] as? String == "deployment.instances_launched" }
            #expect(launches.count == 1, "one launch of both instances, by one replica")
        }
    }
}

/// AWS failing under the reconciler: throttling, 500s and dropped
/// connections from a proxy in front of moto.
@Suite(.serialized)
struct DeploymentFaultTests {
    typealias Cloud = DeploymentReconcilerTests.Cloud

    static let throttled = FaultProxy.Fault.answer(
        503, [],
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>E1</RequestID></Response>")
    static let internalError = FaultProxy.Fault.answer(
        500, [], "<Response><Errors><Error><Code>InternalError</Code><Message>oops</Message></Error></Errors><RequestID>E2</RequestID></Response>")

    @Test func throttling_500s_andAnUnreachableCloud_areRetried_sayWhy_andConverge() async throws {
        let cloud = try await Cloud.make()
        let proxy = try FaultProxy(upstreamPort: cloud.moto.port)
        defer { proxy.stop() }
        let server = try await DeploymentReconcilerTests.start(cloud, environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(proxy.port)"])
        defer { server.stop() }
        try DeploymentReconcilerTests.register(server, cloud)

        // Every call fails for a while: throttling, 500s, then no answer at all.
        // (Each reconcile's call is tried three times by the AWS client.)
        proxy.script(Array(repeating: Self.throttled, count: 3) + Array(repeating: Self.internalError, count: 3)
            + Array(repeating: .drop, count: 3))
        let id = try DeploymentReconcilerTests.deploy(server, name: "faulty", replicas: 2)
        let stuck = try await DeploymentReconcilerTests.waitFor(server, id, "a condition saying why") {
            DeploymentReconcilerTests.conditions($0)["CloudReachable"]?["status"] as? String == "False"
        }
        let message = DeploymentReconcilerTests.conditions(stuck)["CloudReachable"]?["message"] as? String ?? ""
        #expect(message.contains("RequestLimitExceeded") || message.contains("InternalError") || message.contains("ec2"), "\(message)")

        // The faults pass; the deployment converges with exactly its replicas.
        let ready = try await DeploymentReconcilerTests.waitFor(server, id, "converged after the faults") { deployment in
            guard DeploymentReconcilerTests.phase(deployment) == "ready" else { return false }
            return try await cloud.instances(id).count == 2
        }
        #expect(DeploymentReconcilerTests.conditions(ready)["CloudReachable"] == nil)
        #expect(proxy.requests >= 9)
        let metrics = String(decoding: try server.send("GET", "/metrics", token: nil).body, as: UTF8.self)
        #expect(metrics.contains(#"sluice_reconcile_retries_total{kind="deployment"}"#), "retries are counted")
        #expect(metrics.contains("sluice_work_queue_depth"))
        #expect(metrics.contains("sluice_reconcile_duration_seconds"))
    }
}

/// External targets: nothing is launched; their URLs' health decides.
@Suite(.serialized)
struct ExternalDeploymentTests {
    @Test func externalTarget_isReadyWhileItsURLsAnswer_degradedWhenOneStops() async throws {
        let server = try await APIServer.start(environment: ["SLUICE_RECONCILE_INTERVAL": "1"])
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        try await FakeModel.serving([FakeModel(answer: "1")]) { ports in
            let healthy = "http://127.0.0.1:\(ports[0])"
            let id = try GatewayHarness.deploy(server, "ext", model: "churn", mode: "stealth", endpoint: "churn", urls: [healthy])
            let ready = try await DeploymentReconcilerTests.waitFor(server, id, "ready") { DeploymentReconcilerTests.phase($0) == "ready" }
            let instances = DeploymentReconcilerTests.status(ready)["instances"] as? [[String: Any]] ?? []
            #expect(instances.map { $0["address"] as? String } == [healthy])
            #expect(instances.map { $0["state"] as? String } == ["running"])
            #expect(DeploymentReconcilerTests.conditions(ready)["Ready"]?["reason"] as? String == "HealthChecksPassing")

            // A second URL that refuses connections: degraded, and it says which share answers.
            let patched = try server.send("PATCH", "/v1/deployments/\(id)", body: #"{"replicas":2}"#)
            #expect(patched.status == 422, "replicas do not apply to external targets")
            let other = try GatewayHarness.deploy(
                server, "ext-half", model: "churn", mode: "stealth", endpoint: "churn", urls: [healthy, "http://127.0.0.1:9"])
            let half = try await DeploymentReconcilerTests.waitFor(server, other, "degraded") { DeploymentReconcilerTests.phase($0) == "degraded" }
            let condition = DeploymentReconcilerTests.conditions(half)["Ready"]
            #expect(condition?["reason"] as? String == "SomeUnhealthy")
            #expect((condition?["message"] as? String)?.contains("1 of 2") == true)
        }
        // Deleting an external deployment launches and terminates nothing.
        let list = APIServer.items(try server.send("GET", "/v1/deployments"))
        #expect(list.count == 2)
        for deployment in list {
            guard let id = deployment["id"] as? String else { continue }
            #expect(try server.send("DELETE", "/v1/deployments/\(id)").status == 202)
            try await DeploymentReconcilerTests.waitFor(server, id, "deleted") { $0["gone"] as? Bool == true }
            let actions = APIServer.items(try server.send("GET", "/v1/events?resource=deployment/\(id)&limit=100"))
                .compactMap { $0["action"] as? String }
            #expect(!actions.isEmpty, "the audit trail of \(id) is empty")
            #expect(!actions.contains("deployment.instances_launched") && !actions.contains("deployment.instances_terminated"), "\(actions)")
        }
    }
}
