import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// `/v1/datasets` and their versions through the real binary.
@Suite(.serialized)
struct DatasetsAPITests {
    static let trades = #"""
        {"name":"trades","client":"acme","source_uri":"s3://staging/acme/trades/","destination_uri":"s3://rnd/acme/trades/",
         "format":"csv","fund_column":"fund_id","gates":{"required_columns":["fund_id"],"min_records":10,
         "max_null_fraction":{"fund_id":0.0,"Price_EUR":0.05},"max_duplicate_fraction":0.01}}
        """#

    @Test func create_get_conflict_list_delete() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let created = try server.send("POST", "/v1/datasets", body: Self.trades)
        #expect(created.status == 201, "\(created)")
        #expect(created.header("location") == "/v1/datasets/trades")
        let etag = try #require(created.header("etag"))
        let body = APIServer.json(created)
        #expect(body["format"] as? String == "csv")
        // Keys of free-form maps are kept exactly as sent.
        let gates = body["gates"] as? [String: Any]
        #expect((gates?["max_null_fraction"] as? [String: Double])?["Price_EUR"] == 0.05)

        let fetched = try server.send("GET", "/v1/datasets/trades")
        #expect(fetched.status == 200)
        #expect(fetched.header("etag") == etag)
        APIServer.expectProblem(try server.send("POST", "/v1/datasets", body: Self.trades), 409)
        APIServer.expectProblem(try server.send("GET", "/v1/datasets/nothing"), 404)
        #expect(APIServer.items(try server.send("GET", "/v1/datasets")).map { $0["name"] as? String } == ["trades"])

        APIServer.expectProblem(try server.send("DELETE", "/v1/datasets/trades", headers: ["If-Match": "\"1\(etag)\""]), 412)
        APIServer.expectProblem(try server.send("DELETE", "/v1/datasets/trades", headers: ["If-Match": "W/\(etag)"]), 412)
        #expect(try server.send("DELETE", "/v1/datasets/trades", headers: ["If-Match": etag]).status == 204)
        APIServer.expectProblem(try server.send("GET", "/v1/datasets/trades"), 404)
        let actions = APIServer.items(try server.send("GET", "/v1/events?resource=dataset/trades")).map { $0["action"] as? String }
        #expect(actions == ["dataset.deleted", "dataset.created"])
    }

    /// A worker owns its destination prefix (it aborts every unfinished
    /// upload there): no two datasets may write into one prefix, nor one
    /// read what another writes.
    @Test func destinationsOverlappingAnotherDataset_are422() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        #expect(try server.send("POST", "/v1/datasets", body: Self.trades).status == 201)
        func dataset(_ name: String, source: String, destination: String) throws -> RawClient.Response {
            try server.send("POST", "/v1/datasets", body: #"""
                {"name":"\#(name)","client":"acme","source_uri":"\#(source)","destination_uri":"\#(destination)",
                 "format":"csv","fund_column":"fund_id"}
                """#)
        }
        // trades: s3://staging/acme/trades/ → s3://rnd/acme/trades/
        for (source, destination, field) in [
            ("s3://staging/acme/other/", "s3://rnd/acme/trades/", "destination_uri"),
            ("s3://staging/acme/other/", "s3://rnd/acme/trades/2024/", "destination_uri"),
            ("s3://staging/acme/other/", "s3://rnd/acme", "destination_uri"),
            ("s3://staging/acme/other/", "s3://staging/acme/trades/", "destination_uri"),
            ("s3://rnd/acme/trades/", "s3://rnd/acme/copy/", "source_uri"),
        ] {
            let refused = try dataset("other", source: source, destination: destination)
            APIServer.expectProblem(refused, 422)
            #expect(APIServer.errorFields(refused) == [field], "\(source) → \(destination): \(refused)")
        }
        // Next to it, or reading the same staging data: fine.
        #expect(try dataset("sibling", source: "s3://staging/acme/trades/", destination: "s3://rnd/acme/trades-2/").status == 201)
        #expect(APIServer.items(try server.send("GET", "/v1/datasets")).count == 2)
    }

    @Test func create_reportsEveryBrokenRuleAtOnce_andStoresNothing() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let response = try server.send("POST", "/v1/datasets", body: #"""
            {"name":"Bad_Name","client":"-acme","source_uri":"http://staging/x","destination_uri":"s3://rnd/a/",
             "format":"parquet","fund_column":"","gates":{"min_records":-1,"max_duplicate_fraction":2}}
            """#)
        APIServer.expectProblem(response, 422)
        #expect(APIServer.errorFields(response) == [
            "name", "client", "source_uri", "format", "fund_column", "gates.min_records", "gates.max_duplicate_fraction",
        ])
        // The R&D prefix must not overlap the Staging prefix.
        let overlap = try server.send("POST", "/v1/datasets", body: #"""
            {"name":"x","client":"acme","source_uri":"s3://zone/acme","destination_uri":"s3://zone/acme/filtered/",
             "format":"csv","fund_column":"fund_id"}
            """#)
        #expect(APIServer.errorFields(overlap) == ["destination_uri"])
        let unknown = try server.send("POST", "/v1/datasets", body: #"""
            {"name":"x","client":"acme","source_uri":"s3://a/b/","destination_uri":"s3://c/d/","format":"csv",
             "fund_column":"fund_id","fund_colum":"typo","gates":{"min_record":3}}
            """#)
        #expect(APIServer.errorFields(unknown) == ["fund_colum", "gates.min_record"])
        let missing = try server.send("POST", "/v1/datasets", body: #"{"name":"x"}"#)
        #expect(APIServer.errorFields(missing) == ["client", "source_uri", "destination_uri", "format", "fund_column"])
        APIServer.expectProblem(try server.send("POST", "/v1/datasets", body: #"[1,2]"#), 422)
        APIServer.expectProblem(try server.send("POST", "/v1/datasets", body: #"{"name":"x""#), 400)
        APIServer.expectProblem(try server.send("POST", "/v1/datasets", body: #"{"name":"x\u0000"}"#), 422)
        let rows = try await server.query("SELECT count(*) AS n FROM datasets")
        #expect(try rows.first?.decode("n", as: Int.self) == 0)
    }

    @Test func snapshot_pinsApprovedFunds_andNeedsThem() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        _ = try server.send("POST", "/v1/datasets", body: Self.trades)
        let scientist = try server.token("scientist")
        APIServer.expectProblem(try server.send("POST", "/v1/datasets/trades/versions", token: scientist), 409)
        _ = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F1"]}"#)
        _ = try server.send("PUT", "/v1/clients/acme/approved-funds", body: #"{"fund_ids":["F1","F2"]}"#)
        let first = try server.send("POST", "/v1/datasets/trades/versions", token: scientist)
        #expect(first.status == 202, "\(first)")
        #expect(first.header("location") == "/v1/datasets/trades/versions/1")
        let version = APIServer.json(first)
        #expect(version["status"] as? String == "pending")
        #expect(version["approved_funds_version"] as? Int == 2)
        #expect(version.keys.contains("records_out"))
        let second = try server.send("POST", "/v1/datasets/trades/versions", token: scientist, body: "{}")
        #expect(APIServer.json(second)["version"] as? Int == 2)
        #expect(APIServer.items(try server.send("GET", "/v1/datasets/trades/versions")).map { $0["version"] as? Int } == [2, 1])
        #expect(try server.send("GET", "/v1/datasets/trades/versions/1").status == 200)
        APIServer.expectProblem(try server.send("GET", "/v1/datasets/trades/versions/3"), 404)
        APIServer.expectProblem(try server.send("GET", "/v1/datasets/trades/versions/zero"), 404)
        APIServer.expectProblem(try server.send("POST", "/v1/datasets/nothing/versions"), 404)
        APIServer.expectProblem(try server.send("POST", "/v1/datasets/trades/versions", token: try server.token("viewer")), 403)
    }

    @Test func injectionAttempts_inFreeTextFields_areStoredVerbatim() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let column = #"fund'); DROP TABLE datasets; --"#
        let source = #"s3://staging/x'; DELETE FROM events; --/"#
        let body = try String(decoding: JSONSerialization.data(withJSONObject: [
            "name": "sneaky", "client": "acme", "source_uri": source, "destination_uri": "s3://rnd/ok/",
            "format": "jsonl", "fund_column": column,
        ]), as: UTF8.self)
        let created = try server.send("POST", "/v1/datasets", body: body)
        #expect(created.status == 201, "\(created)")
        let fetched = APIServer.json(try server.send("GET", "/v1/datasets/sneaky"))
        #expect(fetched["fund_column"] as? String == column)
        #expect(fetched["source_uri"] as? String == source)
        let events = try await server.query("SELECT count(*) AS n FROM events")
        #expect(try events.first?.decode("n", as: Int.self) ?? 0 >= 2)
    }
}
