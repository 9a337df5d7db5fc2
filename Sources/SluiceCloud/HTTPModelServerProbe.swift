public import SluiceDomain
public import SluiceHTTPClient

/// ``ModelServerProbe`` over HTTP: TorchServe's `GET /ping`, the Open
/// Inference Protocol's `GET /v2/health/ready`; a 2xx within `timeout` is ready.
public struct HTTPModelServerProbe: ModelServerProbe {
    let http: any HTTPClient
    let timeout: Duration

    /// A probe; `http` should not retry (a probe is repeated anyway).
    public init(http: any HTTPClient, timeout: Duration = .seconds(2)) {
        self.http = http
        self.timeout = timeout
    }

    public func isReady(baseURL: String, runtime: DeploymentRuntime) async -> Bool {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        do {
            let response = try await http.execute(HTTPClientRequest(url: base + runtime.healthPath), timeout: timeout)
            return (200..<300).contains(response.status)
        } catch {
            return false
        }
    }
}
