import Foundation
public import SluiceHTTPClient
import SluiceAWS

/// A client of the Kubeflow Pipelines v2beta1 REST API (the swagger in
/// `Tests/Fixtures/kubeflow/`): create, get, find and terminate runs.
///
/// Every call is one request; retrying is the caller's choice (the run
/// reconciler's work queue retries with backoff), so the transport may be a
/// plain ``SluiceHTTPClient/CurlHTTPClient``.
public struct KubeflowClient: Sendable {
    /// The API's base URL without a trailing slash, e.g.
    /// `https://kubeflow.example.com/pipeline`; paths start `/apis/v2beta1`.
    public let baseURL: String
    /// How requests authenticate.
    public let authentication: KubeflowAuthentication
    /// The transport.
    public let http: any HTTPClient
    /// The bound on each exchange. Default 30 seconds.
    public var timeout: Duration
    /// The clock for SigV4 signatures.
    var now: @Sendable () -> Date = { Date() }

    /// A client of the API at `baseURL`.
    public init(baseURL: String, authentication: KubeflowAuthentication, http: any HTTPClient, timeout: Duration = .seconds(30)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.authentication = authentication
        self.http = http
        self.timeout = timeout
    }

    /// `POST /apis/v2beta1/runs` (`RunService_CreateRun`).
    public func createRun(_ request: KubeflowRunRequest) async throws(KubeflowError) -> KubeflowRun {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(request))
        } catch {
            throw KubeflowError(.invalidRequest, detail: "the run could not be encoded")
        }
        return try await call("POST", "/apis/v2beta1/runs", body: body, as: KubeflowRun.self)
    }

    /// `GET /apis/v2beta1/runs/{run_id}` (`RunService_GetRun`).
    public func getRun(id: String) async throws(KubeflowError) -> KubeflowRun {
        try await call("GET", "/apis/v2beta1/runs/\(Self.pathSegment(id))", body: nil, as: KubeflowRun.self)
    }

    /// `POST /apis/v2beta1/runs/{run_id}:terminate` (`RunService_TerminateRun`):
    /// the swagger's cancel. Terminating a run that has finished is the
    /// server's business; Sluice asks only for runs it believes active.
    public func terminateRun(id: String) async throws(KubeflowError) {
        _ = try await call("POST", "/apis/v2beta1/runs/\(Self.pathSegment(id)):terminate", body: [UInt8]("{}".utf8), as: Empty.self)
    }

    /// The runs whose `display_name` equals `displayName`, newest first
    /// (`GET /apis/v2beta1/runs` with a `filter` of one `EQUALS` predicate).
    public func findRuns(displayName: String, experimentID: String?) async throws(KubeflowError) -> [KubeflowRun] {
        let filter = #"{"predicates":[{"key":"display_name","operation":"EQUALS","string_value":"# + Self.jsonString(displayName) + "}]}"
        var query = "filter=\(Self.queryValue(filter))&page_size=10&sort_by=\(Self.queryValue("created_at desc"))"
        if let experimentID { query += "&experiment_id=\(Self.queryValue(experimentID))" }
        let list = try await call("GET", "/apis/v2beta1/runs?\(query)", body: nil, as: RunList.self)
        return list.runs ?? []
    }

    struct Empty: Decodable {}

    struct RunList: Decodable {
        var runs: [KubeflowRun]?
    }

    /// One exchange: build, authenticate, send, decode or throw.
    func call<T: Decodable>(_ method: String, _ target: String, body: [UInt8]?, as _: T.Type) async throws(KubeflowError) -> T {
        let request = try await authenticated(method: method, url: baseURL + target, body: body)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch let error as HTTPClientError {
            throw KubeflowError(.transport, detail: "\(error.code)")
        } catch {
            throw KubeflowError(.transport, detail: String(describing: type(of: error)))
        }
        guard (200..<300).contains(response.status) else {
            let status = try? JSONDecoder().decode(KubeflowStatus.self, from: Data(response.body))
            throw KubeflowError(.httpStatus, status: response.status, body: status)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body.isEmpty ? Array("{}".utf8) : response.body))
        } catch {
            throw KubeflowError(.malformedResponse, status: response.status, detail: "\(method) \(target.prefix { $0 != "?" })")
        }
    }

    /// The request with its authentication applied.
    func authenticated(method: String, url: String, body: [UInt8]?) async throws(KubeflowError) -> HTTPClientRequest {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let payload: HTTPClientRequest.Body = body.map { .bytes($0) } ?? .empty
        switch authentication {
        case .none:
            return HTTPClientRequest(method: method, url: url, headers: headers, body: payload)
        case .bearer(let token):
            headers.append(("Authorization", "Bearer \(token)"))
            return HTTPClientRequest(method: method, url: url, headers: headers, body: payload)
        case .sigV4(let credentials, let region):
            guard let parsed = URL(string: url) else { throw KubeflowError(.invalidRequest, detail: "the URL is malformed") }
            let credential: AWSCredential
            do {
                credential = try await credentials.credential()
            } catch {
                throw KubeflowError(.invalidRequest, detail: "no AWS credentials for SigV4")
            }
            do {
                var wire = try AWSRequest(method: method, url: parsed, headers: headers)
                try SigV4Signer(credential: credential, service: "execute-api", region: region)
                    .sign(&wire, payload: .bytes(body ?? []), date: now())
                return HTTPClientRequest(method: method, url: url, headers: wire.headers, body: payload)
            } catch {
                throw KubeflowError(.invalidRequest, detail: "SigV4 signing failed")
            }
        }
    }

    /// `id` for a path segment: ids are UUIDs, but nothing the server sends
    /// is trusted to be one.
    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// RFC 3986 §2.3 unreserved characters.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        (try? String(decoding: JSONEncoder().encode(text), as: UTF8.self)) ?? "\"\""
    }
}
