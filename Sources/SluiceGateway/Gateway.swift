import Foundation
import SluiceDomain
public import SluiceHTTP
public import SluiceHTTPClient

/// `POST /predict/{region}/{endpoint}`: the live deployment's answer goes
/// back to the client byte for byte with its status and content type; a
/// copy goes to every stealth deployment; every model's result is recorded
/// under the request's id (DESIGN.md §1, §4).
public final class Gateway: Sendable {
    /// Response header naming the live deployment that answered.
    public static let deploymentHeader = "X-Sluice-Deployment"
    /// Response header with the live deployment's id.
    public static let deploymentIDHeader = "X-Sluice-Deployment-Id"
    /// Response header with the model that answered.
    public static let modelHeader = "X-Sluice-Model"
    /// Response header with the version of the model that answered.
    public static let modelVersionHeader = "X-Sluice-Model-Version"

    let routes: RouteTable
    let recorder: PredictionRecorder
    let live: ModelCaller
    let stealth: StealthDispatcher
    let maxBody: Int
    let acknowledgement: JournalAcknowledgement

    /// A gateway over `routes`. `liveClient` and `stealthClient` should be
    /// separate clients, so shadows never hold the live path's connections.
    public init(
        configuration: GatewayConfiguration, routes: RouteTable, health: InstanceHealth,
        liveClient: any HTTPClient, stealthClient: any HTTPClient, recorder: PredictionRecorder
    ) {
        self.routes = routes
        self.recorder = recorder
        self.maxBody = configuration.maxBody
        self.acknowledgement = configuration.acknowledgement
        self.live = ModelCaller(
            client: liveClient, health: health, timeout: configuration.liveTimeout, maxAnswer: configuration.maxAnswer)
        self.stealth = StealthDispatcher(
            caller: ModelCaller(
                client: stealthClient, health: health, timeout: configuration.stealthTimeout, maxAnswer: configuration.maxAnswer),
            recorder: recorder, configuration: configuration)
    }

    /// Adds the predict route.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/predict/{region}/{endpoint}", maxBodySize: maxBody) { [self] request, context in
            try await predict(request, context)
        }
    }

    /// Stealth calls still running (for graceful shutdown).
    public var stealthCallsInFlight: Int { stealth.callsInFlight }

    func predict(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let region = try context.parameters.require("region", as: String.self)
        let name = try context.parameters.require("endpoint", as: String.self)
        guard let route = routes.route(region: region, endpoint: name) else {
            GatewayMetrics.unknownEndpoint()
            throw HTTPError(.notFound, "no endpoint \(name) in region \(region)")
        }
        guard let target = route.live else {
            route.metrics.requestWithoutLive()
            throw HTTPError(.serviceUnavailable, "endpoint \(route.endpoint) has no live deployment")
        }
        let requestID = context.requestID
        let contentType = request.headers["Content-Type"]
        let at = Date()
        // Shadows start first and are never awaited.
        if !route.stealth.isEmpty {
            stealth.dispatch(route.stealth, body: request.body, contentType: contentType, requestID: requestID, at: at)
        }
        let result = await live.call(target, body: request.body, contentType: contentType, requestID: requestID)
        let prediction = Self.prediction(result, target: target, requestID: requestID, at: at)
        switch acknowledgement {
        case .fsync: await recorder.recordDurably(prediction)
        case .write: recorder.recordWritten(prediction)
        case .off: recorder.record(prediction)
        }
        route.metrics.request(CallOutcome(result))
        let headers: HTTPHeaders = [
            Self.deploymentHeader: target.target.name, Self.deploymentIDHeader: target.deploymentIDText,
            Self.modelHeader: target.target.model, Self.modelVersionHeader: target.versionText,
        ]
        switch result {
        case .answered(let answer, _):
            var response = HTTPResponse(status: HTTPStatus(code: answer.status), headers: headers, body: answer.body)
            if let type = answer.header("Content-Type") { response.headers.replaceOrAdd(name: "Content-Type", value: type) }
            return response
        case .timedOut:
            throw HTTPError(.gatewayTimeout, "the live model did not answer in time", headers: headers)
        case .unreachable:
            throw HTTPError(.badGateway, "no instance of the live model could be reached", headers: headers)
        case .answerTooLarge:
            throw HTTPError(.badGateway, "the live model's answer is over \(live.maxAnswer) bytes", headers: headers)
        case .noInstance:
            throw HTTPError(.serviceUnavailable, "no healthy instance of the live model", headers: headers)
        }
    }

    /// What the ML Data Store keeps of one call (and its metrics).
    static func prediction(_ result: ModelCallResult, target: PreparedTarget, requestID: String, at: Date) -> Prediction {
        let latency: Double?
        var output: PredictionOutput?
        switch result {
        case .answered(let response, let ms):
            latency = ms
            if (200..<300).contains(response.status) {
                output = PredictionExtractor.output(runtime: target.target.runtime, body: response.body)
            }
        case .timedOut(let ms), .unreachable(let ms), .answerTooLarge(let ms): latency = ms
        case .noInstance: latency = nil
        }
        target.metrics.call(CallOutcome(result), latencyMS: latency)
        return Prediction(
            deploymentID: target.target.deploymentID, requestID: requestID, output: output, latencyMS: max(0, latency ?? 0), at: at,
            status: result.recordedStatus)
    }
}
