import Foundation
import Logging
import SluiceHTTP
import SluiceSockets
import Synchronization

/// A **test double** of the Kubeflow Pipelines v2beta1 run API, built from
/// `Tests/Fixtures/kubeflow/run.swagger.json` (the only thing here that
/// cannot run for real, DESIGN.md §6). Same paths, same JSON shapes:
/// `POST /apis/v2beta1/runs`, `GET /apis/v2beta1/runs` (with a
/// `display_name EQUALS` filter), `GET /apis/v2beta1/runs/{run_id}`,
/// `POST /apis/v2beta1/runs/{run_id}:terminate`; errors are
/// `googleRpcStatus` bodies with grpc-gateway's extra `error` field.
///
/// Test controls: move a run to any state, make the server answer 503 or
/// refuse connections, read every request it received, require a token.
public final class FakeKubeflow: Sendable {
    /// How the fake answers.
    public enum Availability: Sendable, Equatable {
        /// Normally.
        case up
        /// Every request gets 503 with a `googleRpcStatus` body (code 14, UNAVAILABLE).
        case unavailable
    }

    /// One request as received.
    public struct Recorded: Sendable {
        public var method: String
        public var target: String
        public var authorization: String?
        public var body: [UInt8]

        /// The body as a JSON object (empty when it is not one).
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    struct State {
        var runs: [String: [String: Any]] = [:]
        var order: [String] = []
        var requests: [Recorded] = []
        var availability: Availability = .up
        var createdStateSequence = 0
    }

    private let state = Mutex(UnsafeState(State()))
    private let server = Mutex<HTTPServer?>(nil)
    /// The bearer token every request must carry; `nil` accepts any.
    public let token: String?
    /// The port it listens on (127.0.0.1), kept across ``goDown()``/``comeBack()``.
    public let port: UInt16

    private init(token: String?, port: UInt16, server: HTTPServer) {
        self.token = token
        self.port = port
        self.server.withLock { $0 = server }
    }

    /// Starts a fake on 127.0.0.1 and a free port.
    public static func start(token: String? = nil) async throws -> FakeKubeflow {
        let holder = Handler()
        let server = makeServer(port: 0, handler: holder)
        let address = try await server.start()
        let fake = FakeKubeflow(token: token, port: address.port, server: server)
        holder.fake.withLock { $0 = Weak(fake) }
        fake.handler.withLock { $0 = holder }
        return fake
    }

    private let handler = Mutex<Handler?>(nil)

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops listening: connections are refused until ``comeBack()``.
    public func goDown() async {
        let running = server.withLock { server in
            defer { server = nil }
            return server
        }
        await running?.shutdown()
    }

    /// Listens again on the same port.
    public func comeBack() async throws {
        guard let handler = handler.withLock({ $0 }) else { return }
        let fresh = Self.makeServer(port: port, handler: handler)
        _ = try await fresh.start()
        server.withLock { $0 = fresh }
    }

    /// Stops the fake for good.
    public func stop() async { await goDown() }

    /// Makes every request answer normally or with 503.
    public func setAvailability(_ availability: Availability) {
        state.withLock { $0.value.availability = availability }
    }

    /// Moves a run to `runtimeState` (a `v2beta1RuntimeState` spelling),
    /// appending to its `state_history`; `error` fills the run's `error`.
    public func setState(run id: String, _ runtimeState: String, error: String? = nil) {
        state.withLock { box in
            guard var run = box.value.runs[id] else { return }
            run["state"] = runtimeState
            let now = Self.timestamp()
            var history = run["state_history"] as? [[String: Any]] ?? []
            history.append(["update_time": now, "state": runtimeState])
            run["state_history"] = history
            if ["SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"].contains(runtimeState) { run["finished_at"] = now }
            if let error { run["error"] = ["code": 2, "message": error] }
            box.value.runs[id] = run
        }
    }

    /// The ids of the runs created so far, oldest first.
    public var runIDs: [String] { state.withLock { $0.value.order } }

    /// A run as the fake would return it (JSON object), or `nil`.
    public func run(_ id: String) -> [String: Any]? {
        state.withLock { $0.value.runs[id] }
    }

    /// Every request received, in order (including refused ones).
    public var requests: [Recorded] { state.withLock { $0.value.requests } }

    /// The requests to `POST /apis/v2beta1/runs`.
    public var createRequests: [Recorded] { requests.filter { $0.method == "POST" && $0.target == "/apis/v2beta1/runs" } }

    // MARK: - Serving

    private static func makeServer(port: UInt16, handler: Handler) -> HTTPServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
        configuration.eventLoopCount = 1
        configuration.shutdownGracePeriod = .milliseconds(200)
        return HTTPServer(
            configuration: configuration,
            responder: ClosureResponder { request in await handler.respond(request) },
            logger: Logger(label: "fake-kubeflow"))
    }

    /// Lets the server's responder reach the fake without a retain cycle.
    final class Handler: Sendable {
        let fake = Mutex<Weak?>(nil)

        func respond(_ request: HTTPRequest) async -> HTTPResponse {
            guard let fake = fake.withLock({ $0?.value }) else { return FakeKubeflow.status(503, 14, "gone") }
            return fake.respond(request)
        }
    }

    struct Weak: @unchecked Sendable {
        weak var value: FakeKubeflow?
        init(_ value: FakeKubeflow) { self.value = value }
    }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        let authorization = request.headers.values(for: "Authorization").first
        let recorded = Recorded(method: request.method.rawValue, target: request.head.target, authorization: authorization, body: request.body)
        return state.withLock { box in
            box.value.requests.append(recorded)
            if box.value.availability == .unavailable { return Self.status(503, 14, "upstream connect error or disconnect/reset before headers") }
            if let token, authorization != "Bearer \(token)" {
                return Self.status(401, 16, "Unauthenticated: missing or invalid bearer token")
            }
            return Self.route(request, &box.value)
        }
    }

    static func route(_ request: HTTPRequest, _ state: inout State) -> HTTPResponse {
        let prefix = "/apis/v2beta1/runs"
        let path = request.path
        if path == prefix {
            switch request.method.rawValue {
            case "POST": return create(request, &state)
            case "GET": return list(request.head.query, state)
            default: return status(405, 12, "Method Not Allowed")
            }
        }
        guard path.hasPrefix(prefix + "/") else { return status(404, 5, "Not Found") }
        let rest = String(path.dropFirst(prefix.count + 1))
        if rest.hasSuffix(":terminate") {
            guard request.method.rawValue == "POST" else { return status(405, 12, "Method Not Allowed") }
            let id = String(rest.dropLast(":terminate".count))
            guard var run = state.runs[id] else { return status(404, 5, "Failed to terminate a run: run \(id) not found") }
            let current = run["state"] as? String ?? ""
            if !["SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"].contains(current) {
                run["state"] = "CANCELING"
                var history = run["state_history"] as? [[String: Any]] ?? []
                history.append(["update_time": timestamp(), "state": "CANCELING"])
                run["state_history"] = history
                state.runs[id] = run
            }
            return json(200, [:])
        }
        guard request.method.rawValue == "GET", !rest.contains(":"), !rest.contains("/") else { return status(404, 5, "Not Found") }
        guard let run = state.runs[rest] else { return status(404, 5, "Failed to get run: run \(rest) not found") }
        return json(200, run)
    }

    static func create(_ request: HTTPRequest, _ state: inout State) -> HTTPResponse {
        guard var body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            return status(400, 3, "Failed to create a run: invalid JSON body")
        }
        guard let name = body["display_name"] as? String, !name.isEmpty else {
            return status(400, 3, "Failed to create a run: Invalid input error: run's display name must be set")
        }
        guard let reference = body["pipeline_version_reference"] as? [String: Any], reference["pipeline_id"] is String else {
            return status(400, 3, "Failed to create a run: Invalid input error: pipeline_version_reference.pipeline_id is required")
        }
        let id = UUID().uuidString.lowercased()
        let now = timestamp()
        body["run_id"] = id
        body["storage_state"] = "AVAILABLE"
        body["state"] = "PENDING"
        body["created_at"] = now
        body["scheduled_at"] = now
        body["finished_at"] = "1970-01-01T00:00:00Z"
        body["state_history"] = [["update_time": now, "state": "PENDING"]]
        if body["experiment_id"] == nil { body["experiment_id"] = "00000000-0000-0000-0000-00000000de00" }
        state.runs[id] = body
        state.order.append(id)
        return json(200, body)
    }

    static func list(_ query: String?, _ state: State) -> HTTPResponse {
        var wanted: String?
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            guard parts.count == 2, parts[0] == "filter" else { continue }
            guard let filter = (try? JSONSerialization.jsonObject(with: Data(parts[1].utf8))) as? [String: Any],
                let predicates = filter["predicates"] as? [[String: Any]]
            else { return status(400, 3, "Invalid input error: filter is not a valid v2beta1Filter") }
            for predicate in predicates where predicate["key"] as? String == "display_name" && predicate["operation"] as? String == "EQUALS" {
                wanted = predicate["string_value"] as? String
            }
        }
        let runs = state.order.reversed().compactMap { state.runs[$0] }.filter { wanted == nil || $0["display_name"] as? String == wanted }
        return json(200, ["runs": runs, "total_size": runs.count])
    }

    static func status(_ http: Int, _ code: Int, _ message: String) -> HTTPResponse {
        json(http, ["error": message, "code": code, "message": message, "details": [[String: Any]]()])
    }

    static func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPResponse(status: HTTPStatus(code: status), headers: ["Content-Type": "application/json"], body: Array(body))
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }
}

/// `[String: Any]` is not `Sendable`; the fake only touches it under its lock.
struct UnsafeState: @unchecked Sendable {
    var value: FakeKubeflow.State
    init(_ value: FakeKubeflow.State) { self.value = value }
}
