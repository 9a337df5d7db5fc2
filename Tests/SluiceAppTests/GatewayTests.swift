import Foundation
import SluiceTesting
import Testing

/// `sluice gateway` end to end: the real binaries (`serve` for the API,
/// `gateway` for traffic), external deployments on loopback model servers.
@Suite(.timeLimit(.minutes(2))) struct GatewayTests {
    static let liveAnswer = #"{"label":"cat","probabilities":{"cat":0.9,"dog":0.1}}"#

    /// A server, its database seeded with `model`, and a journal folder.
    func setUp(models: [String] = ["fraud"]) async throws -> (APIServer, URL) {
        let server = try await APIServer.start()
        for model in models { try await server.seedModelVersion(model: model) }
        return (server, try GatewayHarness.journalDirectory())
    }

    /// With either model client (decision 71): the built-in one, and
    /// libcurl, the way back.
    @Test(arguments: ["builtin", "libcurl"])
    func liveAnswer_comesBackByteForByte_stealthGetsTheSameRequest_bothAreRecorded(client: String) async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let live = FakeModel(answer: Self.liveAnswer)
        let shadow = FakeModel(answer: #""dog""#)
        try await FakeModel.serving([live, shadow]) { ports in
            _ = try GatewayHarness.deploy(server, "champion", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "challenger", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            let gateway = try await GatewayHarness.start(
                database: server.database, journal: journal, environment: ["SLUICE_GATEWAY_HTTP_CLIENT": client])
            defer { gateway.terminate() }

            let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: #"{"amount":12}"#, requestID: "req-1")
            #expect(response.status == 200)
            #expect(response.text == Self.liveAnswer)
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("x-request-id") == "req-1")
            #expect(response.header("x-sluice-deployment") == "champion")
            #expect(response.header("x-sluice-model-version") == "1")

            #expect(await GatewayHarness.eventually { shadow.received.count == 1 })
            #expect(shadow.received.first?.body == #"{"amount":12}"#)
            #expect(shadow.received.first?.contentType == "application/json")
            #expect(shadow.received.first?.requestID == "req-1")
            #expect(live.received.first?.requestID == "req-1")

            let stored = try await GatewayHarness.eventually { try await GatewayHarness.predictions(server).count == 2 }
            #expect(stored)
            let rows = try await GatewayHarness.predictions(server)
            #expect(rows.map(\.name) == ["challenger", "champion"])
            #expect(rows.allSatisfy { $0.request == "req-1" && $0.status == 200 })
            #expect(rows.map(\.label) == ["dog", "cat"])

            // A request without an id gets one, returned and recorded.
            let (second, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}")
            let generated = try #require(second.header("x-request-id"))
            #expect(await GatewayHarness.eventually { shadow.received.last?.requestID == generated })

            let unknown = try GatewayHarness.predict(port: gateway.port, endpoint: "nothing-here", body: "{}").0
            APIServer.expectProblem(unknown, 404)
        }
    }

    /// A gateway stopped (a pod replaced) stores what it answered before
    /// it exits, a stealth result that came in during the shutdown too: its
    /// journal may not outlive it.
    @Test func shutdown_storesEveryResult_beforeExiting() async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let live = FakeModel(answer: "0.5")
        let slow = FakeModel(answer: "0.7", delay: .seconds(1))
        try await FakeModel.serving([live, slow]) { ports in
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "slow", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            let gateway = try await GatewayHarness.start(
                database: server.database, journal: journal, environment: ["SLUICE_GATEWAY_STEALTH_TIMEOUT_MS": "5000"])
            let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "last")
            #expect(response.status == 200)
            // SIGTERM while the stealth call still runs.
            #expect(gateway.terminate(timeout: 30) == 0)
            // Before, the uploader stopped before the recorder wrote its last
            // records: they stayed in the journal until a restart.
            let rows = try await GatewayHarness.predictions(server)
            #expect(rows.map(\.name).sorted() == ["live", "slow"], "\(rows.map(\.name))")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? []).isEmpty)
        }
    }

    @Test func slowFailingOrDownStealth_neverDelaysOrChangesTheLiveAnswer() async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let live = FakeModel(answer: "0.5")
        // Far apart, so a loaded machine cannot blur them: the live answer
        // must come well before the stealth timeout, itself well before the
        // slow model would answer.
        let slow = FakeModel(answer: "0.1", delay: .seconds(12))
        let failing = FakeModel(answer: #"{"code":500,"type":"InternalServerException","message":"boom"}"#, status: 500)
        let down = try TestPostgres.freePort()
        try await FakeModel.serving([live, slow, failing]) { ports in
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "slow", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            _ = try GatewayHarness.deploy(server, "failing", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[2])"])
            _ = try GatewayHarness.deploy(server, "down", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(down)"])
            let gateway = try await GatewayHarness.start(
                database: server.database, journal: journal, environment: ["SLUICE_GATEWAY_STEALTH_TIMEOUT_MS": "6000"])
            defer { gateway.terminate() }

            for index in 0..<5 {
                let (response, elapsed) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "r\(index)")
                #expect(response.status == 200)
                #expect(response.text == "0.5")
                #expect(elapsed < .seconds(2), "live answer took \(elapsed) beside a stealth timing out after 6 s")
            }
            let all = try await GatewayHarness.eventually(timeout: .seconds(30)) { try await GatewayHarness.predictions(server).count == 20 }
            #expect(all)
            let rows = try await GatewayHarness.predictions(server)
            let statuses = Dictionary(grouping: rows, by: \.name).mapValues { Set($0.map(\.status)) }
            #expect(statuses["live"] == [200])
            #expect(statuses["slow"] == [0])
            #expect(statuses["failing"] == [500])
            #expect(statuses["down"] == [0])

            // Each copy the slow model did not answer in time counts as a shadow drop too.
            let metrics = try DatabaseLifecycleTests.get("/metrics", port: gateway.port).text
            func value(_ series: String) -> Int? {
                metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
            }
            let score = #"endpoint="eu-west-1/score""#
            let timedOut = value(#"sluice_gateway_model_calls_total{\#(score),deployment="slow",mode="stealth",outcome="timeout"}"#)
            #expect((timedOut ?? 0) > 0, "\(metrics)")
            #expect(value(#"sluice_gateway_stealth_dropped_total{\#(score),deployment="slow",reason="timeout"}"#) == timedOut)
            #expect(value(#"sluice_gateway_stealth_dropped_total{\#(score),deployment="failing",reason="timeout"}"#) == 0)
        }
    }

    /// One model server hosts the live model and three challengers that
    /// answer 503 30 ms after the live answer is in: their failures (three per
    /// request, the default threshold) must not take the server away from
    /// the live model, whose every request still gets its answer.
    @Test func failingStealth_onTheLiveModelsServer_neverTakesItAwayFromLive() async throws {
        let (server, journal) = try await setUp(models: ["fraud", "challenger"])
        defer { server.stop() }
        let models = FakeModel(answer: "0.5", models: ["challenger": .init(status: 503, delay: .milliseconds(30))])
        try await FakeModel.serving([models]) { ports in
            let url = "http://127.0.0.1:\(ports[0])"
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: [url])
            for name in ["c1", "c2", "c3"] {
                _ = try GatewayHarness.deploy(server, name, model: "challenger", mode: "stealth", endpoint: "score", urls: [url])
            }
            let gateway = try await GatewayHarness.startWithoutProbes(database: server.database, journal: journal)
            defer { gateway.terminate() }

            for index in 0..<5 {
                let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "s\(index)")
                #expect(response.status == 200, "request \(index): \(response.text)")
                #expect(response.text == "0.5")
                // The challengers' results are in (stored, so counted in the
                // server's health) before the next request.
                let landed = try await GatewayHarness.eventually(timeout: .seconds(15)) {
                    try await GatewayHarness.predictions(server).filter { $0.request == "s\(index)" }.count == 4
                }
                #expect(landed, "request \(index): the four results were not stored")
            }
            let all = try await GatewayHarness.eventually(timeout: .seconds(15)) { try await GatewayHarness.predictions(server).count == 20 }
            #expect(all)
            let rows = try await GatewayHarness.predictions(server)
            #expect(rows.filter { $0.name == "live" }.map(\.status) == Array(repeating: 200, count: 5))
            // Each challenger failed three times, then skipped the server.
            for name in ["c1", "c2", "c3"] {
                #expect(rows.filter { $0.name == name }.map(\.status) == [503, 503, 503, 0, 0], "\(name)")
            }
        }
    }

    /// Answers over `SLUICE_GATEWAY_MAX_ANSWER` are refused, not held: a
    /// stealth one is recorded with status 0 and leaves the live answer
    /// alone; a live one answers 502 and keeps the instance in rotation.
    @Test func answersOverTheLimit_areRefused_withoutFailingLiveOrTheInstance() async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let live = FakeModel(answer: "0.5")
        let big = FakeModel(answer: "\"" + String(repeating: "x", count: 5_000) + "\"")
        try await FakeModel.serving([live, big]) { ports in
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "big", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            _ = try GatewayHarness.deploy(server, "big-live", model: "fraud", mode: "live", endpoint: "huge", urls: ["http://127.0.0.1:\(ports[1])"])
            let gateway = try await GatewayHarness.start(
                database: server.database, journal: journal,
                environment: ["SLUICE_GATEWAY_MAX_ANSWER": "1000", "SLUICE_GATEWAY_PROBE_INTERVAL_MS": "600000"])
            defer { gateway.terminate() }

            for index in 0..<4 {
                let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "a\(index)")
                #expect(response.status == 200)
                #expect(response.text == "0.5")
            }
            // Three refusals in a row: still 502 (the instance answered), never 503.
            for index in 0..<4 {
                let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "huge", body: "{}", requestID: "h\(index)")
                #expect(response.status == 502)
                #expect(response.text.contains("over 1000 bytes"), "\(response.text)")
            }
            let all = try await GatewayHarness.eventually(timeout: .seconds(15)) { try await GatewayHarness.predictions(server).count == 12 }
            #expect(all)
            let rows = try await GatewayHarness.predictions(server)
            let statuses = Dictionary(grouping: rows, by: \.name).mapValues { $0.map(\.status) }
            #expect(statuses["live"] == [200, 200, 200, 200])
            #expect(statuses["big"] == [0, 0, 0, 0])
            #expect(statuses["big-live"] == [0, 0, 0, 0])
            let metrics = try DatabaseLifecycleTests.get("/metrics", port: gateway.port).text
            #expect(metrics.contains(#"deployment="big",mode="stealth",outcome="answer_too_large"} 4"#), "\(metrics)")
            #expect(metrics.contains(#"deployment="big-live",mode="live",outcome="answer_too_large"} 4"#))
        }
    }

    @Test func live_failsOverToTheNextURL_whenAConnectionIsRefused() async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let live = FakeModel(answer: "1")
        let refused = try TestPostgres.freePort()
        try await FakeModel.serving([live]) { ports in
            _ = try GatewayHarness.deploy(
                server, "live", model: "fraud", mode: "live", endpoint: "score",
                urls: ["http://127.0.0.1:\(refused)", "http://127.0.0.1:\(ports[0])"])
            let gateway = try await GatewayHarness.startWithoutProbes(database: server.database, journal: journal)
            defer { gateway.terminate() }
            for index in 0..<6 {
                let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "f\(index)")
                #expect(response.status == 200, "\(response)")
            }
            #expect(live.received.count == 6)
        }
    }

    @Test func promotion_reroutesWithinASecond() async throws {
        let (server, journal) = try await setUp()
        defer { server.stop() }
        let old = FakeModel(answer: #""old""#)
        let new = FakeModel(answer: #""new""#)
        try await FakeModel.serving([old, new]) { ports in
            _ = try GatewayHarness.deploy(server, "old", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            let candidate = try GatewayHarness.deploy(
                server, "new", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            let gateway = try await GatewayHarness.start(database: server.database, journal: journal)
            defer { gateway.terminate() }
            #expect(try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}").0.header("x-sluice-deployment") == "old")

            let promoted = try server.send(
                "POST", "/v1/deployments/\(candidate)/promote", body: #"{"force":true,"reason":"gateway test"}"#)
            #expect(promoted.status == 200, "\(promoted)")
            let start = ContinuousClock.now
            let rerouted = try await GatewayHarness.eventually(timeout: .seconds(5)) {
                try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}").0.text == #""new""#
            }
            #expect(rerouted)
            #expect(ContinuousClock.now - start < .milliseconds(1500))
        }
    }
}
