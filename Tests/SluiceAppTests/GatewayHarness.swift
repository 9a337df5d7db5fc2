import Foundation
import SluiceHTTP
import SluicePostgres
import SluiceTesting
import Synchronization
import Testing

/// A small model server for gateway tests, speaking TorchServe's shapes:
/// `GET /ping`, `POST /predictions/{model}` answering `answer` after
/// `delay`, with `status` (or, for a model named in `models`, with that
/// model's status after its delay: one server hosting several models). It
/// keeps every inference request it got.
final class FakeModel: Sendable {
    struct Received: Sendable {
        var body: String
        var contentType: String?
        var requestID: String?
    }

    /// How one model of the server answers.
    struct Behaviour: Sendable {
        var status: Int
        var delay: Duration = .zero
    }

    private let state: Mutex<(answer: String, status: Int, delay: Duration, received: [Received])>
    private let models: [String: Behaviour]

    init(answer: String, status: Int = 200, delay: Duration = .zero, models: [String: Behaviour] = [:]) {
        state = Mutex((answer, status, delay, []))
        self.models = models
    }

    var received: [Received] { state.withLock { $0.received } }

    var responder: ClosureResponder {
        ClosureResponder { [self] request in
            if request.path == "/ping" {
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(#"{"status":"Healthy"}"#.utf8))
            }
            var (answer, status, delay) = state.withLock { state in
                state.received.append(Received(
                    body: String(decoding: request.body, as: UTF8.self), contentType: request.headers["Content-Type"],
                    requestID: request.headers["X-Request-Id"]))
                return (state.answer, state.status, state.delay)
            }
            if let model = request.path.split(separator: "/").last, let behaviour = models[String(model)] {
                (status, delay) = (behaviour.status, behaviour.delay)
            }
            if delay > .zero { try? await Task.sleep(for: delay) }
            return HTTPResponse(status: HTTPStatus(code: status), headers: ["Content-Type": "application/json"], body: Array(answer.utf8))
        }
    }

    /// Runs `body` with every model listening; their ports in order.
    static func serving<T>(_ models: [FakeModel], _ body: ([UInt16]) async throws -> T) async throws -> T {
        guard let first = models.first else { return try await body([]) }
        return try await TestServer.with(responder: first.responder) { _, port in
            try await serving(Array(models.dropFirst())) { ports in try await body([port] + ports) }
        }
    }
}

/// `sluice gateway` and the calls tests make to it.
struct GatewayHarness {
    static let region = "eu-west-1"

    /// Starts the gateway on `database` with its journal in `journal`.
    static func start(database: TestDatabase, journal: URL, environment: [String: String] = [:]) async throws -> SluiceProcess {
        var env = environment
        env["SLUICE_DATABASE_URL"] = database.url
        env["SLUICE_GATEWAY_JOURNAL"] = journal.path
        let all = env
        return try await Task.detached { try SluiceProcess(arguments: ["gateway", "--port", "0"], environment: all) }.value
    }

    /// Starts the gateway with a health probe only every 10 minutes, so
    /// that during a test only calls decide an instance's health.
    static func startWithoutProbes(database: TestDatabase, journal: URL) async throws -> SluiceProcess {
        try await start(database: database, journal: journal, environment: ["SLUICE_GATEWAY_PROBE_INTERVAL_MS": "600000"])
    }

    /// A fresh, empty journal folder (removed when the tests end).
    static func journalDirectory() throws -> URL {
        try TemporaryFolders.make("gateway-journal")
    }

    /// An external deployment of `model` at `urls`; returns its id.
    static func deploy(_ server: APIServer, _ name: String, model: String, mode: String, endpoint: String, urls: [String]) throws -> String {
        let body = try APIServer.encode([
            "name": name, "region": region, "endpoint": endpoint, "model": model, "version": 1, "mode": mode,
            "runtime": "torchserve", "target": ["type": "external", "urls": urls],
        ] as [String: Any])
        let response = try server.send("POST", "/v1/deployments", body: body)
        guard response.status == 201, let id = APIServer.json(response)["id"] as? String else {
            throw SetupFailure(description: "deployment failed: \(response)")
        }
        return id
    }

    /// `POST /predict/{region}/{endpoint}`; the response and how long it took.
    static func predict(
        port: UInt16, endpoint: String, body: String, requestID: String? = nil, contentType: String = "application/json"
    ) throws -> (RawClient.Response, Duration) {
        let start = ContinuousClock.now
        let client = try RawClient(port: port, timeout: .seconds(20))
        var head = "POST /predict/\(region)/\(endpoint) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: \(contentType)\r\n"
        if let requestID { head += "X-Request-Id: \(requestID)\r\n" }
        try client.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        let response = try client.readResponse()
        return (response, ContinuousClock.now - start)
    }

    /// Stored predictions: deployment name, request id, status, label.
    static func predictions(_ server: APIServer) async throws -> [(name: String, request: String, status: Int?, label: String?)] {
        let rows = try await server.query("""
            SELECT d.name, p.request_id, p.status, p.output_label FROM predictions p JOIN deployments d ON d.id = p.deployment_id
            ORDER BY p.request_id, d.name
            """)
        return try rows.map { (try $0.decode("name"), try $0.decode("request_id"), try $0.decode("status"), try $0.decode("output_label")) }
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
