import SluiceDomain
public import SluiceHTTPClient

/// What one call to a deployment came to.
public enum ModelCallResult: Sendable {
    /// The model server answered (any status).
    case answered(HTTPClientResponse, latencyMS: Double)
    /// No answer within the timeout.
    case timedOut(latencyMS: Double)
    /// Every instance tried refused the connection or broke it off.
    case unreachable(latencyMS: Double)
    /// No healthy instance to try.
    case noInstance

    /// The status to record: the server's, or 0 for no answer (no healthy
    /// instance to ask counts as no answer, so every deployment has a row
    /// for every request it was meant to see).
    var recordedStatus: Int {
        switch self {
        case .answered(let response, _): response.status
        case .timedOut, .unreachable, .noInstance: 0
        }
    }
}

/// Sends one inference request to a deployment: a healthy instance in
/// round-robin order, and — only when the connection could not be made, so
/// the request surely never reached a model — once more to another one.
/// Answers and failures feed ``InstanceHealth``.
struct ModelCaller: Sendable {
    let client: any HTTPClient
    let health: InstanceHealth
    let timeout: Duration

    func call(_ target: RouteTarget, body: [UInt8], contentType: String?, requestID: String) async -> ModelCallResult {
        var headers: [(String, String)] = [("X-Request-Id", requestID)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        var tried = Set<String>()
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let duration = clock.now - start
            return Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
        for _ in 0..<2 {
            guard let instance = health.pick(target, excluding: tried) else { break }
            tried.insert(instance)
            let request = HTTPClientRequest(method: "POST", url: instance + target.inferencePath, headers: headers, body: .bytes(body))
            do {
                let response = try await client.execute(request, timeout: timeout)
                // 502/503/504 say the server (or what stands before it) cannot
                // serve; a 500 is usually the handler refusing one input, and
                // must not take the instance out of rotation.
                if [502, 503, 504].contains(response.status) {
                    health.recordFailure(instance)
                } else {
                    health.recordSuccess(instance)
                }
                return .answered(response, latencyMS: elapsed())
            } catch let error as HTTPClientError where error.code == .connectFailed || error.code == .resolveFailed {
                health.recordFailure(instance)
                continue
            } catch let error as HTTPClientError where error.code == .timeout {
                health.recordFailure(instance)
                return .timedOut(latencyMS: elapsed())
            } catch {
                health.recordFailure(instance)
                return .unreachable(latencyMS: elapsed())
            }
        }
        return tried.isEmpty ? .noInstance : .unreachable(latencyMS: elapsed())
    }
}
