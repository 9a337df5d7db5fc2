import Foundation
import SluiceTesting
import Testing

/// The real `sluice serve` binary on an ephemeral port.
@Suite(.serialized)
struct ServeBinaryTests {
    @Test func healthz_answersJSONWithRequestID() async throws {
        let sluice = try await SluiceProcess.serve()
        defer { sluice.terminate() }
        let client = try RawClient(port: sluice.port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: abc-123\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == #"{"status":"ok"}"#)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("x-request-id") == "abc-123")
        #expect(response.header("date") != nil)
    }

    @Test func readyzVersionAndMetrics_areServed() async throws {
        let sluice = try await SluiceProcess.serve()
        defer { sluice.terminate() }
        let client = try RawClient(port: sluice.port)
        try client.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        let ready = try client.readResponse()
        #expect(ready.status == 200)
        #expect(ready.text.contains("ready"))
        try client.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        let version = try client.readResponse()
        #expect(version.status == 200)
        #expect(version.text.contains(#""version":"#))
        try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let metrics = try client.readResponse()
        #expect(metrics.status == 200)
        #expect(metrics.text.contains(#"http_requests_total{route="/version",method="GET",status="200"} 1"#))
        #expect(metrics.text.contains("http_open_connections"))
        #expect(metrics.text.contains("http_request_duration_seconds_bucket"))
    }

    @Test func unknownRoute_isProblemJSON404() async throws {
        let sluice = try await SluiceProcess.serve()
        defer { sluice.terminate() }
        let client = try RawClient(port: sluice.port)
        try client.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.header("content-type") == "application/problem+json")
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(json?["status"] as? Int == 404)
        #expect(json?["title"] as? String == "Not Found")
    }

    @Test func sigterm_drainsAndExitsZero() async throws {
        let sluice = try await SluiceProcess.serve()
        let client = try RawClient(port: sluice.port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        // An idle keep-alive connection must not hold up the shutdown.
        #expect(sluice.terminate(timeout: 5) == 0)
        #expect(client.isClosedByServer())
    }

    @Test(arguments: [
        ("SLUICE_PORT", "eighty"),
        ("SLUICE_HOST", "not a host"),
        ("SLUICE_WORKERS", "maybe"),
        ("SLUICE_DATABASE_URL", "mysql://x"),
        ("SLUICE_PUBLIC_URL", "ftp://x"),
    ])
    func badConfiguration_stopsWithOneLineNamingTheVariable(variable: String, value: String) throws {
        let sluice = try SluiceProcess(arguments: ["serve"], environment: [variable: value], waitForListening: false)
        let status = sluice.waitForExit()
        #expect(status == 2)
        let lines = sluice.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(variable) == true)
    }

    @Test func startup_isFast() async throws {
        let url = try await TestPostgres.shared().createDatabase().url
        let start = Date()
        let sluice = try await SluiceProcess.serve(environment: ["SLUICE_DATABASE_URL": url])
        defer { sluice.terminate() }
        // Generous bound for a loaded CI machine; the real figure (tens of
        // milliseconds) is in docs/benchmarks.md.
        #expect(Date().timeIntervalSince(start) < 5)
    }
}
