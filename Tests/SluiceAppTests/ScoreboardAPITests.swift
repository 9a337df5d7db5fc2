import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// The ML Data Store through the real binary: ingest, duplicates, late and
/// unmatched outcomes, and a scoreboard that equals an independent
/// computation of every number.
@Suite(.serialized)
struct ScoreboardAPITests {
    static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

    @Test func classification_everyMetricMatchesAnIndependentComputation() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        let ids = [
            "live": try server.deploy("live", model: "churn", mode: "live", endpoint: "churn"),
            "better": try server.deploy("better", model: "churn", mode: "stealth", endpoint: "churn"),
            "worse": try server.deploy("worse", model: "churn", mode: "stealth", endpoint: "churn"),
        ]
        let traffic = Traffic.classification(seed: 7, count: 600)
        let now = Date()
        // Out of order: half the outcomes arrive before any prediction; the
        // rest are late (an hour after the predictions).
        let outcomes = traffic.outcomes(region: "eu-west-1", endpoint: "churn", at: Self.iso(now.addingTimeInterval(3600)))
        let early = Array(outcomes.prefix(outcomes.count / 2))
        #expect(try server.send("POST", "/v1/outcomes", body: try APIServer.encode(early)).status == 200)
        for (key, id) in ids {
            let batch = traffic.predictions(key, deployment: id, at: Self.iso(now.addingTimeInterval(-1800)))
            let response = try server.send("POST", "/v1/predictions", body: try APIServer.encode(batch))
            #expect(APIServer.json(response)["accepted"] as? Int == 600, "\(response)")
            // Re-sending the batch stores nothing twice.
            let again = try server.send("POST", "/v1/predictions", body: try APIServer.encode(batch))
            #expect(APIServer.json(again)["duplicates"] as? Int == 600)
        }
        let late = try server.send("POST", "/v1/outcomes", body: try APIServer.encode(outcomes))
        #expect(APIServer.json(late)["accepted"] as? Int == outcomes.count - early.count)
        #expect(APIServer.json(late)["duplicates"] as? Int == early.count)

        let since = Self.iso(now.addingTimeInterval(-7200))
        let response = try server.send("GET", "/v1/endpoints/eu-west-1/churn/scoreboard?since=\(since)")
        #expect(response.status == 200, "\(response)")
        let board = APIServer.json(response)
        #expect(board["live_deployment_id"] as? String == ids["live"])
        let rows = board["deployments"] as? [[String: Any]] ?? []
        #expect(rows.count == 3)
        for (key, id) in ids {
            let row = try #require(rows.first { $0["deployment_id"] as? String == id })
            let answers = traffic.answers[key] ?? [:]
            let matched = traffic.requests.filter { traffic.actualLabels[$0] != nil }
            #expect(row["predictions"] as? Int == 600)
            #expect(row["outcomes_matched"] as? Int == matched.count)
            let metrics = row["metrics"] as? [String: Double] ?? [:]
            let correct = matched.filter { answers[$0]?.label == traffic.actualLabels[$0] }.count
            #expect(abs((metrics["accuracy"] ?? -1) - Double(correct) / Double(matched.count)) < 1e-9, "\(key) accuracy")
            // Per class and macro, over the classes seen in predictions or outcomes.
            var f1s: [Double] = []
            let perClass = row["per_class"] as? [String: [String: Any]] ?? [:]
            for label in Traffic.labels {
                let tp = matched.filter { answers[$0]?.label == label && traffic.actualLabels[$0] == label }.count
                let predicted = matched.filter { answers[$0]?.label == label }.count
                let actual = matched.filter { traffic.actualLabels[$0] == label }.count
                let precision = Double(tp) / Double(predicted)
                let recall = Double(tp) / Double(actual)
                let f1 = 2 * precision * recall / (precision + recall)
                f1s.append(f1)
                #expect(abs((perClass[label]?["precision"] as? Double ?? -1) - precision) < 1e-9)
                #expect(abs((perClass[label]?["recall"] as? Double ?? -1) - recall) < 1e-9)
                #expect(abs((perClass[label]?["f1"] as? Double ?? -1) - f1) < 1e-9)
                #expect(perClass[label]?["support"] as? Int == actual)
            }
            #expect(abs((metrics["macro_f1"] ?? -1) - Reference.mean(f1s)) < 1e-9)
            if key == "worse" {
                #expect(metrics["log_loss"] == nil, "no probabilities, no log loss")
            } else {
                let losses = matched.map { id -> Double in
                    let p = answers[id]?.probabilities?[traffic.actualLabels[id] ?? ""] ?? 0
                    return -log(max(p, 1e-15))
                }
                #expect(abs((metrics["log_loss"] ?? -1) - Reference.mean(losses)) < 1e-9)
            }
            let latencies = traffic.requests.compactMap { answers[$0]?.latency }
            let latency = row["latency_ms"] as? [String: Double] ?? [:]
            for (name, p) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
                #expect(abs((latency[name] ?? -1) - Reference.percentile(latencies, p)) < 1e-9, "\(key) \(name)")
            }
            // Against live, on the same request ids only.
            let versus = row["versus_live"] as? [String: Any]
            if key == "live" {
                #expect(versus == nil)
                continue
            }
            let live = traffic.answers["live"] ?? [:]
            let d = matched.map { id -> Double in
                (answers[id]?.label == traffic.actualLabels[id] ? 1 : 0) - (live[id]?.label == traffic.actualLabels[id] ? 1 : 0)
            }
            let mean = Reference.mean(d)
            let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count - 1)).squareRoot()
            let half = Reference.t975(Double(d.count - 1)) * sd / Double(d.count).squareRoot()
            #expect(versus?["paired_requests"] as? Int == matched.count)
            #expect(abs((versus?["difference"] as? Double ?? -9) - mean) < 1e-9)
            #expect(abs((versus?["ci_low"] as? Double ?? -9) - (mean - half)) < 1e-6)
            #expect(abs((versus?["ci_high"] as? Double ?? -9) - (mean + half)) < 1e-6)
            let agree = matched.filter { answers[$0]?.label == live[$0]?.label }.count
            #expect(abs((versus?["agreement_rate"] as? Double ?? -9) - Double(agree) / Double(matched.count)) < 1e-9)
            #expect(versus?["significant"] as? Bool == true, "\(key) differs from live by 15 points over 500 requests")
            #expect(((versus?["improvement"] as? Double ?? 0) > 0) == (key == "better"))
        }
    }

    @Test func regression_maeRmseMeanErrorAndPairedMAE() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "price", task: "regression")
        let ids = [
            "live": try server.deploy("live", model: "price", mode: "live", endpoint: "price"),
            "better": try server.deploy("better", model: "price", mode: "stealth", endpoint: "price"),
            "worse": try server.deploy("worse", model: "price", mode: "stealth", endpoint: "price"),
        ]
        let traffic = Traffic.regression(seed: 11, count: 500)
        let now = Date()
        for (key, id) in ids {
            // NDJSON this time.
            let lines = try traffic.predictions(key, deployment: id, at: Self.iso(now.addingTimeInterval(-600))).map(APIServer.encode)
            let response = try server.send("POST", "/v1/predictions", body: lines.joined(separator: "\n") + "\n",
                headers: ["Content-Type": "application/x-ndjson"])
            #expect(APIServer.json(response)["accepted"] as? Int == 500, "\(response)")
        }
        _ = try server.send("POST", "/v1/outcomes", body: try APIServer.encode(traffic.outcomes(region: "eu-west-1", endpoint: "price", at: Self.iso(now))))
        let board = APIServer.json(try server.send("GET", "/v1/endpoints/eu-west-1/price/scoreboard?since=\(Self.iso(now.addingTimeInterval(-3600)))"))
        let rows = board["deployments"] as? [[String: Any]] ?? []
        let matched = traffic.requests.filter { traffic.actualNumbers[$0] != nil }
        for (key, id) in ids {
            let row = try #require(rows.first { $0["deployment_id"] as? String == id })
            let errors = matched.map { (traffic.answers[key]?[$0]?.number ?? 0) - (traffic.actualNumbers[$0] ?? 0) }
            let metrics = row["metrics"] as? [String: Double] ?? [:]
            #expect(abs((metrics["mae"] ?? -1) - Reference.mean(errors.map(abs))) < 1e-9)
            #expect(abs((metrics["rmse"] ?? -1) - Reference.mean(errors.map { $0 * $0 }).squareRoot()) < 1e-9)
            #expect(abs((metrics["mean_error"] ?? -1) - Reference.mean(errors)) < 1e-9)
            guard key != "live", let versus = row["versus_live"] as? [String: Any] else { continue }
            let d = matched.map { id in
                abs((traffic.answers[key]?[id]?.number ?? 0) - (traffic.actualNumbers[id] ?? 0))
                    - abs((traffic.answers["live"]?[id]?.number ?? 0) - (traffic.actualNumbers[id] ?? 0))
            }
            #expect(versus["metric"] as? String == "mae")
            #expect(abs((versus["difference"] as? Double ?? -9) - Reference.mean(d)) < 1e-9)
            #expect(((versus["improvement"] as? Double ?? 0) > 0) == (key == "better"))
        }
    }

    @Test func ingest_refusesWholeBatchesWithItemErrors() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "churn")
        let live = try server.deploy("live", model: "churn", mode: "live", endpoint: "churn")
        let at = Self.iso(Date())
        let batch: [[String: Any]] = [
            ["deployment_id": live, "request_id": "ok-1", "output": "fraud", "latency_ms": 3, "at": at],
            ["deployment_id": UUID().uuidString, "request_id": "x", "output": "fraud", "latency_ms": 3, "at": at],
            ["deployment_id": live, "request_id": "ok-1", "output": true, "latency_ms": -1, "at": "yesterday", "extra": 1],
            ["deployment_id": live, "request_id": "p", "output": ["label": "a", "probabilities": ["a": 1.5]], "latency_ms": 1, "at": at],
        ]
        let response = try server.send("POST", "/v1/predictions", body: try APIServer.encode(batch))
        APIServer.expectProblem(response, 422)
        #expect(APIServer.errorFields(response) == [
            "[2].request_id", "[2].output", "[2].latency_ms", "[2].at", "[2].extra", "[3].output.probabilities",
        ])
        // Unknown deployments are found once the items are well formed.
        let unknown = try server.send("POST", "/v1/predictions", body: try APIServer.encode(Array(batch.prefix(2))))
        #expect(APIServer.errorFields(unknown) == ["[1].deployment_id"])
        let rows = try await server.query("SELECT count(*) AS n FROM predictions")
        #expect(try rows.first?.decode("n", as: Int.self) == 0, "all or nothing")
        APIServer.expectProblem(try server.send("POST", "/v1/predictions", body: "{}"), 422)
        APIServer.expectProblem(try server.send("POST", "/v1/predictions", body: "[]"), 422)
        APIServer.expectProblem(try server.send("POST", "/v1/predictions", body: "{\"a\":1}\nnot json\n", headers: ["Content-Type": "application/x-ndjson"]), 400)
        APIServer.expectProblem(try server.send("GET", "/v1/endpoints/eu-west-1/churn/scoreboard?since=garbage"), 400)
        APIServer.expectProblem(try server.send("GET", "/v1/endpoints/EU/churn/scoreboard"), 404)
        APIServer.expectProblem(try server.send("POST", "/v1/predictions", token: try server.token("viewer"), body: "[]"), 403)
    }
}
