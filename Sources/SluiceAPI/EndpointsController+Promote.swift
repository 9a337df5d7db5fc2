import Foundation
import SluiceDomain
import SluiceHTTP

extension EndpointsController {
    /// `POST /v1/deployments/{id}/promote` `{"force"?, "reason"?}`: checks the
    /// endpoint's policy against the scoreboard and swaps live and stealth in
    /// one transaction. 200 with the evidence; 409 naming each failed rule.
    /// An admin may force it with a reason; the event keeps the evidence.
    func promote(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.deployer)
        let id = try context.uuid("id", of: "deployment")
        let body = request.body.isEmpty ? PromoteRequest() : try APIJSON.decode(PromoteRequest.self, from: request.body)
        let force = body.force ?? false
        if force {
            _ = try context.require(.admin)
            var validation = Validation()
            validation.text(body.reason, "reason", max: 2000)
            try validation.throwIfInvalid()
        }
        do {
            let (deployment, evidence) = try await Promoter(endpoints: store, data: data)
                .promote(deployment: id, actor: caller.name, force: force, reason: body.reason)
            return try APIJSON.response(.ok, Promoted(deployment: deployment, evidence: evidence), headers: ETag.header(deployment.resourceVersion))
        } catch let refusal as PromotionRefusal {
            throw PromotionRefused(evidence: refusal.evidence)
        }
    }

    struct PromoteRequest: APIRequestBody {
        var force: Bool?
        var reason: String?
        static let fields: Set<String> = ["force", "reason"]
    }

    struct Promoted: Encodable {
        var deployment: Deployment
        var evidence: PromotionEvidence
    }
}

/// A promotion the policy refuses: 409 with every failed rule and the evidence.
struct PromotionRefused: HTTPResponseError {
    let evidence: PromotionEvidence

    var status: HTTPStatus { .conflict }

    func response() -> HTTPResponse {
        let failed = evidence.failed
        let problem = APIProblem(
            .conflict, detail: "the promotion policy refuses: " + failed.map { "\($0.rule): \($0.detail)" }.joined(separator: "; "),
            errors: failed.map { .init(field: $0.rule, message: $0.detail) })
        var response = problem.response()
        // The problem document with the evidence as an extension member (RFC 9457 §3.2).
        if case .bytes(let bytes) = response.body,
            var object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
            let evidenceBytes = try? APIJSON.encode(evidence),
            let evidenceObject = try? JSONSerialization.jsonObject(with: Data(evidenceBytes)) {
            object["evidence"] = evidenceObject
            if let merged = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                response.body = .bytes(Array(merged))
            }
        }
        return response
    }
}
