import Foundation
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
    /// The model server's answer was longer than the gateway takes.
    case answerTooLarge(latencyMS: Double)
    /// No healthy instance to try.
    case noInstance

    /// The status to record: the server's, or 0 for no answer (no healthy
    /// instance to ask counts as no answer, so every deployment has a row
    /// for every request it was meant to see).
    var recordedStatus: Int {
        switch self {
        case .answered(let response, _): response.status
        case .timedOut, .unreachable, .answerTooLarge, .noInstance: 0
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
    /// The longest answer body taken (`HTTPClientRequest.maxResponseBytes`).
    let maxAnswer: Int

    func call(_ target: PreparedTarget, body: [UInt8], contentType: String?, requestID: String) async -> ModelCallResult {
        var attempt = Attempt(target: target, body: body, contentType: contentType, requestID: requestID, maxAnswer: maxAnswer)
        while let request = attempt.next(health) {
            let outcome: Result<HTTPClientResponse, any Error>
            do {
                outcome = .success(try await client.execute(request, timeout: timeout))
            } catch {
                outcome = .failure(error)
            }
            if let result = attempt.finish(outcome, health) { return result }
        }
        return attempt.exhausted
    }

    /// The same call without a task: each attempt's result arrives on
    /// `client`'s thread, and so does `completion`'s call.
    func call(
        _ target: PreparedTarget, body: [UInt8], contentType: String?, requestID: String, via client: any CallbackHTTPClient,
        completion: @escaping @Sendable (ModelCallResult) -> Void
    ) {
        @Sendable func step(_ attempt: Attempt) {
            var attempt = attempt
            guard let request = attempt.next(health) else { return completion(attempt.exhausted) }
            client.execute(request, timeout: timeout) { [health, attempt] outcome in
                if let result = attempt.finish(outcome.mapError { $0 as any Error }, health) {
                    completion(result)
                } else {
                    step(attempt)
                }
            }
        }
        step(Attempt(target: target, body: body, contentType: contentType, requestID: requestID, maxAnswer: maxAnswer))
    }
}

/// The instances one call has tried, and what an attempt's outcome means.
struct Attempt: Sendable {
    let target: PreparedTarget
    let body: [UInt8]
    let headers: [(String, String)]
    let maxAnswer: Int
    let start = ContinuousClock.now
    /// Indices into the target's instances, in the order tried.
    private(set) var tried: [Int] = []
    private var instance = ""

    init(target: PreparedTarget, body: [UInt8], contentType: String?, requestID: String, maxAnswer: Int) {
        self.target = target
        self.body = body
        self.maxAnswer = maxAnswer
        var headers: [(String, String)] = [("X-Request-Id", requestID)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        self.headers = headers
    }

    var elapsed: Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    private var deployment: UUID { target.target.deploymentID }

    /// The request for the next instance to try, `nil` after two tries or
    /// when no healthy instance is left.
    mutating func next(_ health: InstanceHealth) -> HTTPClientRequest? {
        guard tried.count < 2, let index = health.pick(target.instances, for: deployment, excluding: tried) else { return nil }
        tried.append(index)
        instance = target.instances[index]
        var request = HTTPClientRequest(method: "POST", url: target.urls[index], headers: headers, body: .bytes(body))
        request.maxResponseBytes = maxAnswer
        return request
    }

    /// The call's result after this attempt, or `nil` to try another instance.
    func finish(_ outcome: Result<HTTPClientResponse, any Error>, _ health: InstanceHealth) -> ModelCallResult? {
        switch outcome {
        case .success(let response):
            // 502/503/504 say the server (or what stands before it) cannot
            // serve; a 500 is usually the handler refusing one input, and
            // must not take the instance out of rotation.
            if [502, 503, 504].contains(response.status) {
                health.recordFailure(instance, for: deployment)
            } else {
                health.recordSuccess(instance, for: deployment)
            }
            return .answered(response, latencyMS: elapsed)
        case .failure(let error as HTTPClientError) where error.code == .connectFailed || error.code == .resolveFailed:
            health.recordFailure(instance, for: deployment)
            return nil
        case .failure(let error as HTTPClientError) where error.code == .responseTooLarge:
            // The server answered; the answer is the model's fault, and
            // must not take the instance out of rotation.
            health.recordSuccess(instance, for: deployment)
            return .answerTooLarge(latencyMS: elapsed)
        case .failure(let error as HTTPClientError) where error.code == .timeout:
            health.recordFailure(instance, for: deployment)
            return .timedOut(latencyMS: elapsed)
        case .failure:
            health.recordFailure(instance, for: deployment)
            return .unreachable(latencyMS: elapsed)
        }
    }

    /// The result when no attempt answered.
    var exhausted: ModelCallResult { tried.isEmpty ? .noInstance : .unreachable(latencyMS: elapsed) }
}
