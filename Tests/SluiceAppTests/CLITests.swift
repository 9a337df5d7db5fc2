import Foundation
import SluiceHTTP
import SluicePostgres
import SluiceTesting
import Testing

/// The client commands of the real binary against the real server.
@Suite(.serialized)
struct CLITests {
    @Test func exitCodes_usage64_apiError1_unreachable69() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let cli = try CLIRunner(server: server)
        let usage = try cli.run(["datasets", "get"])
        #expect(usage.status == 64, "\(usage)")
        let badLimit = try cli.run(["datasets", "list", "--limit", "0"])
        #expect(badLimit.status == 64, "\(badLimit)")
        let missing = try cli.run(["datasets", "get", "nothing"])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.error.contains("404 Not Found: dataset nothing not found"), "\(missing)")
        let invalid = try cli.run(["datasets", "create", "--name", "Bad_Name"])
        #expect(invalid.status == 1)
        #expect(invalid.error.contains("422"), "\(invalid)")
        let unreachable = try cli.run(["datasets", "list"], environment: ["SLUICE_URL": "http://127.0.0.1:1"])
        #expect(unreachable.status == 69, "\(unreachable)")
        #expect(!unreachable.error.contains("plain http"), "loopback is not warned about")
        // Plain http to anything but loopback is warned about (0.0.0.0 is
        // this machine, so nothing leaves it).
        let plain = try cli.run(["datasets", "list"], environment: ["SLUICE_URL": "http://0.0.0.0:1"])
        #expect(plain.status == 69 && plain.error.contains("is plain http: the bearer token is sent unencrypted"), "\(plain)")
        let unconfigured = try CLIRunner(server: nil).run(["datasets", "list"])
        #expect(unconfigured.status == 64, "\(unconfigured)")
        #expect(unconfigured.error.contains("sluice login"))

        // Something else answering (a sign-in page, a redirect): shown as
        // such, never as an empty list.
        let portal = ClosureResponder { request in
            if request.path.hasPrefix("/v1/models") {
                return HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "https://sso.example.com/login"], body: [])
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/html"], body: Array("<html>Sign in</html>".utf8))
        }
        try await TestServer.with(responder: portal) { _, port in
            let page = try cli.run(["datasets", "list"], environment: ["SLUICE_URL": "http://127.0.0.1:\(port)"])
            #expect(page.status == 1 && page.error.contains("text/html, not Sluice's JSON: <html>Sign in</html>"), "\(page)")
            let moved = try cli.run(["models", "list"], environment: ["SLUICE_URL": "http://127.0.0.1:\(port)"])
            #expect(moved.status == 1 && moved.error.contains("Location: https://sso.example.com/login"), "\(moved)")
        }
    }

    @Test func login_checksTheToken_writesMode0600_andLaterCommandsUseIt() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let cli = try CLIRunner(server: nil)
        let url = "http://127.0.0.1:\(server.process.port)"
        let refused = try cli.run(["login", "--url", url, "--token", "wrong"])
        #expect(refused.status == 1, "\(refused)")
        let file = cli.home.appendingPathComponent(".config/sluice/config")
        #expect(!FileManager.default.fileExists(atPath: file.path))

        let login = try cli.run(["login", "--url", url, "--token", APIServer.adminSecret])
        #expect(login.status == 0, "\(login)")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try cli.run(["datasets", "list"]).status == 0)
        // The environment wins over the file.
        #expect(try cli.run(["datasets", "list"], environment: ["SLUICE_URL": url, "SLUICE_TOKEN": "wrong"]).status == 1)
        // An exported token never goes to the server the file names.
        let exported = try cli.run(["datasets", "list"], environment: ["SLUICE_TOKEN": "prod-token"])
        #expect(exported.status == 64 && exported.error.contains("SLUICE_TOKEN is set but the server comes from the saved configuration"), "\(exported)")
        // The saved token belongs to its server: never sent to another one.
        let elsewhere = try cli.run(["datasets", "list", "--url", "http://127.0.0.1:1"])
        #expect(elsewhere.status == 64 && elsewhere.error.contains("no token for http://127.0.0.1:1"), "\(elsewhere)")
        let viaEnvironment = try cli.run(["datasets", "list"], environment: ["SLUICE_URL": "http://127.0.0.1:1"])
        #expect(viaEnvironment.status == 64, "\(viaEnvironment)")
        #expect(try cli.run(["datasets", "list", "--url", url + "/"]).status == 0)

        // XDG_CONFIG_HOME moves the file.
        let xdg = cli.home.appendingPathComponent("xdg")
        let moved = try cli.run(["login", "--url", url, "--token", APIServer.adminSecret], environment: ["XDG_CONFIG_HOME": xdg.path])
        #expect(moved.status == 0, "\(moved)")
        #expect(FileManager.default.fileExists(atPath: xdg.appendingPathComponent("sluice/config").path))
    }

    @Test func create_list_get_delete_withJSONOutput() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let cli = try CLIRunner(server: server)
        let created = try cli.run([
            "datasets", "create", "-o", "json", "--name", "trades", "--client", "acme", "--source-uri", "s3://staging/acme/",
            "--destination-uri", "s3://rnd/acme/", "--format", "csv", "--fund-column", "fund_id",
        ])
        #expect(created.status == 0, "\(created)")
        let object = try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any]
        #expect(object?["name"] as? String == "trades")

        let list = try cli.run(["datasets", "list", "-o", "json"])
        let page = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any]
        #expect((page?["items"] as? [[String: Any]])?.count == 1)
        // `--all` follows every page (here of one item each), and so does
        // `-o id` without `--limit`.
        #expect(try cli.run([
            "datasets", "create", "--name", "quotes", "--client", "acme", "--source-uri", "s3://staging/acme-q/",
            "--destination-uri", "s3://rnd/acme-q/", "--format", "csv", "--fund-column", "fund_id",
        ]).status == 0)
        let ids = try cli.run(["datasets", "list", "-o", "id", "--all", "--limit", "1"])
        let lines = ids.output.split(separator: "\n")
        #expect(ids.status == 0 && lines.count == 2 && Set(lines).count == 2, "\(ids)")
        let firstPage = try cli.run(["datasets", "list", "-o", "id", "--limit", "1"])
        #expect(firstPage.output.split(separator: "\n").count == 1 && firstPage.error.contains("--page-token"), "\(firstPage)")
        let everyID = try cli.run(["datasets", "list", "-o", "id"])
        #expect(Set(everyID.output.split(separator: "\n")) == Set(lines), "\(everyID)")
        let deletedID = try cli.run(["datasets", "delete", "quotes", "-o", "id"])
        #expect(deletedID.status == 0 && deletedID.output == "quotes\n", "\(deletedID)")
        let table = try cli.run(["datasets", "list"])
        #expect(table.output.hasPrefix("NAME"), "\(table)")
        #expect(table.output.contains("trades  acme"))

        let file = cli.home.appendingPathComponent("model.yaml")
        try "name: churn\ntask: classification\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try cli.run(["models", "create", "-f", file.path]).status == 0)
        let model = try cli.run(["models", "get", "churn"])
        #expect(model.output.contains("task: classification"), "\(model)")

        let funds = try cli.run(["approved-funds", "put", "acme", "--fund-ids", "F1,F2"])
        #expect(funds.status == 0, "\(funds)")
        let snapshot = try cli.run(["datasets", "snapshot", "trades", "-o", "json"])
        #expect(snapshot.status == 0, "\(snapshot)")
        #expect((try JSONSerialization.jsonObject(with: Data(snapshot.output.utf8)) as? [String: Any])?["status"] as? String == "pending")
        // No worker finishes it here: --wait gives up with 75.
        let waited = try cli.run(["datasets", "snapshot", "trades", "--wait", "--timeout", "1", "--poll-interval", "0.2"])
        #expect(waited.status == 75, "\(waited)")
        #expect(waited.error.contains("pending"))
        // A wait that ends in failure exits 1, after printing the version:
        // `snapshot --wait && train` must not go on.
        let failing = Task.detached {
            try cli.run(["datasets", "snapshot", "trades", "--wait", "--timeout", "30", "--poll-interval", "0.2", "-o", "json"])
        }
        // Once the CLI has made version 3 (however slow the machine).
        var updated = 0
        for _ in 0..<200 where updated == 0 {
            updated = try await server.query("""
                UPDATE dataset_versions SET status = 'failed', reason = 'source bucket missing'
                WHERE version = 3 AND dataset_id = (SELECT id FROM datasets WHERE name = 'trades') RETURNING 1
                """).count
            if updated == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(updated == 1)
        let failed = try await failing.value
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.error.contains("ended failed: source bucket missing"), "\(failed)")
        #expect((try JSONSerialization.jsonObject(with: Data(failed.output.utf8)) as? [String: Any])?["status"] as? String == "failed")

        #expect(try cli.run(["datasets", "delete", "trades"]).status == 0)
        #expect(try cli.run(["datasets", "get", "trades"]).status == 1)
        let events = try cli.run(["events", "list", "--resource", "dataset/trades", "-o", "json"])
        #expect(events.status == 0)
    }

    @Test func apply_plansAppliesAndDiffs_files_andNamesTheLineOfABadField() async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        let cli = try CLIRunner(server: server)
        let folder = cli.home.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            kind: ApprovedFunds
            metadata: {name: acme}
            spec:
              fund_ids: [F1, F2]
            ---
            kind: Dataset
            metadata:
              name: trades
            spec:
              client: acme
              source_uri: s3://staging/acme/
              destination_uri: s3://rnd/acme/
              format: csv
              fund_column: fund_id
            """.write(to: folder.appendingPathComponent("10-data.yaml"), atomically: true, encoding: .utf8)
        try """
            kind: Model
            metadata:
              name: churn
            spec:
              task: classification
            """.write(to: folder.appendingPathComponent("20-models.yml"), atomically: true, encoding: .utf8)

        let diff = try cli.run(["diff", "-f", folder.path])
        #expect(diff.status == 0, "\(diff)")
        #expect(diff.output.contains("plan: 3 to create"), "\(diff)")
        #expect(diff.output.contains("10-data.yaml:6"), "\(diff)")
        let applied = try cli.run(["apply", "-f", folder.path])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.output.contains("applied: 3 to create"), "\(applied)")
        let again = try cli.run(["apply", "-f", folder.path, "-o", "json"])
        let plan = try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any]
        #expect((plan?["summary"] as? [String: Int])?["unchanged"] == 3, "\(again)")

        // YAML 1.2's core types: no octal from a leading zero, no
        // sexagesimal numbers, `on` and `yes` are strings.
        let experiment = cli.home.appendingPathComponent("experiment.yaml")
        try """
            kind: Experiment
            metadata: {name: typed}
            spec:
              kubeflow: {pipeline_id: p-1, pipeline_version_id: v-1}
              code: {repository: data-science/churn, branch: main}
              image: models/churn:v1
              dataset: trades
              parameters: {seed: 0123, window: 1:30, use_gpu: on, shuffle: yes, ratio: .5, hex: 0x1F, octal: 0o17, exact: true, none: null, day: 2026-11-30}
            """.write(to: experiment, atomically: true, encoding: .utf8)
        let typed = try cli.run(["apply", "-f", experiment.path])
        #expect(typed.status == 0, "\(typed)")
        let stored = try cli.run(["experiments", "get", "typed", "-o", "json"])
        let parameters = (try JSONSerialization.jsonObject(with: Data(stored.output.utf8)) as? [String: Any])?["parameters"] as? [String: Any]
        #expect((parameters?["seed"] as? NSNumber)?.intValue == 123, "\(String(describing: parameters))")
        #expect(parameters?["window"] as? String == "1:30")
        #expect(parameters?["use_gpu"] as? String == "on")
        #expect(parameters?["shuffle"] as? String == "yes")
        #expect((parameters?["ratio"] as? NSNumber)?.doubleValue == 0.5)
        #expect((parameters?["hex"] as? NSNumber)?.intValue == 31)
        #expect((parameters?["octal"] as? NSNumber)?.intValue == 15)
        #expect(parameters?["exact"] as? Bool == true)
        #expect(parameters?["none"] is NSNull)
        #expect(parameters?["day"] as? String == "2026-11-30")

        let bad = cli.home.appendingPathComponent("bad.yaml")
        try """
            kind: Model
            metadata:
              name: other
            spec:
              task: classification
            ---
            kind: Dataset
            metadata:
              name: typo
            spec:
              client: acme
              source_uri: s3://staging/x/
              destination_uri: s3://rnd/x/
              format: csv
              fund_colum: fund_id
            """.write(to: bad, atomically: true, encoding: .utf8)
        let refused = try cli.run(["apply", "-f", bad.path])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.error.contains("bad.yaml:15: spec.fund_colum: is not a known field"), "\(refused)")
        #expect(try cli.run(["models", "get", "other"]).status == 1)

        let kind = cli.home.appendingPathComponent("kind.yaml")
        try "kind: Widget\nmetadata: {name: w}\nspec: {}\n".write(to: kind, atomically: true, encoding: .utf8)
        let unknown = try cli.run(["apply", "-f", kind.path])
        #expect(unknown.error.contains("kind.yaml:1: kind: must be one of"), "\(unknown)")
        let broken = cli.home.appendingPathComponent("broken.yaml")
        try "kind: Model\nmetadata: [\n".write(to: broken, atomically: true, encoding: .utf8)
        let unreadable = try cli.run(["apply", "-f", broken.path])
        #expect(unreadable.status == 65, "\(unreadable)")
        #expect(unreadable.error.contains("broken.yaml: line"), "\(unreadable)")
        #expect(try cli.run(["apply"]).status == 64)
    }
}
