import Foundation
import SluiceTesting
import Testing

/// `sluice gateway`'s `/metrics`: requests by endpoint and outcome, model
/// calls and their latency by deployment and mode, stealth copies sent and
/// dropped (issue 9), every series of a known deployment present from the
/// first load.
@Suite(.timeLimit(.minutes(2))) struct GatewayMetricsTests {
    @Test func metrics_countRequestsCallsAndCopies_perEndpointAndDeployment() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "fraud")
        let journal = try GatewayHarness.journalDirectory()
        let live = FakeModel(answer: #"{"label":"cat","probabilities":{"cat":0.9,"dog":0.1}}"#)
        let shadow = FakeModel(answer: "0.25")
        try await FakeModel.serving([live, shadow]) { ports in
            _ = try GatewayHarness.deploy(server, "champion", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "challenger", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            _ = try GatewayHarness.deploy(server, "lonely", model: "fraud", mode: "stealth", endpoint: "headless", urls: ["http://127.0.0.1:\(ports[1])"])
            let gateway = try await GatewayHarness.start(
                database: server.database, journal: journal,
                environment: ["SLUICE_GATEWAY_STEALTH_MAX_BODY": "20", "SLUICE_GATEWAY_PROBE_INTERVAL_MS": "600000"])
            defer { gateway.terminate() }
            let score = #"endpoint="eu-west-1/score""#
            func metrics() throws -> String { try DatabaseLifecycleTests.get("/metrics", port: gateway.port).text }

            // Known deployments have their series at zero before any request.
            let before = try metrics()
            #expect(before.contains(#"sluice_gateway_model_calls_total{\#(score),deployment="champion",mode="live",outcome="timeout"} 0"#), "\(before)")
            #expect(before.contains(#"sluice_gateway_stealth_dropped_total{\#(score),deployment="challenger",reason="queue_full"} 0"#))
            #expect(before.contains(#"sluice_gateway_requests_total{\#(score),outcome="ok"} 0"#))
            // A live deployment makes no copies, so it has no copy series.
            #expect(!before.contains(#"sluice_gateway_stealth_sent_total{\#(score),deployment="champion"}"#))

            for index in 0..<3 {
                let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: "m\(index)")
                #expect(response.status == 200)
            }
            // Over the stealth size guard: answered, not copied.
            let big = #"{"amount":123456789012345}"#
            #expect(try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: big, requestID: "m-big").0.status == 200)
            #expect(try GatewayHarness.predict(port: gateway.port, endpoint: "headless", body: "{}").0.status == 503)
            #expect(try GatewayHarness.predict(port: gateway.port, endpoint: "nowhere", body: "{}").0.status == 404)
            #expect(await GatewayHarness.eventually { shadow.received.count == 3 })

            let copied = #"sluice_gateway_model_calls_total{\#(score),deployment="challenger",mode="stealth",outcome="ok"} 3"#
            #expect(await GatewayHarness.eventually { (try? metrics())?.contains(copied) == true })
            let after = try metrics()
            for line in [
                #"sluice_gateway_requests_total{\#(score),outcome="ok"} 4"#,
                #"sluice_gateway_requests_total{endpoint="eu-west-1/headless",outcome="no_live"} 1"#,
                #"sluice_gateway_requests_total{endpoint="unknown",outcome="not_found"} 1"#,
                #"sluice_gateway_model_calls_total{\#(score),deployment="champion",mode="live",outcome="ok"} 4"#,
                #"sluice_gateway_model_calls_total{\#(score),deployment="champion",mode="live",outcome="timeout"} 0"#,
                #"sluice_gateway_model_latency_seconds_count{\#(score),deployment="champion",mode="live"} 4"#,
                #"sluice_gateway_model_latency_seconds_count{\#(score),deployment="challenger",mode="stealth"} 3"#,
                #"sluice_gateway_stealth_sent_total{\#(score),deployment="challenger"} 3"#,
                #"sluice_gateway_stealth_dropped_total{\#(score),deployment="challenger",reason="oversize"} 1"#,
                #"sluice_gateway_stealth_dropped_total{\#(score),deployment="challenger",reason="sampled_out"} 0"#,
            ] {
                #expect(after.contains(line), "\(line) not in \(after)")
            }
        }
    }
}
