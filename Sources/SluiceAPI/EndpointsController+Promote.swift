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
        let data = self.data
        let approvers = try await store.approvers(of: id)
        let policyStore = store
        do {
            let (deployment, evidence) = try await store.promote(deployment: id, actor: caller.name, action: force ? "promotion_forced" : "promoted") {
                candidate, live in
                let policy = try await policyStore.policy(region: candidate.spec.region, endpoint: candidate.spec.endpoint)
                let task = try await Self.task(of: candidate, data: data)
                let now = Date()
                let first = try await data.firstPrediction(region: candidate.spec.region, endpoint: candidate.spec.endpoint, deployment: candidate.id)
                var comparison: PairedComparison?
                if let live, let first {
                    // Every request both have answered since the candidate's first.
                    let paired = try await data.paired(
                        region: candidate.spec.region, endpoint: candidate.spec.endpoint, since: first,
                        until: now.addingTimeInterval(IngestRules.maxFutureSkew), live: live.id)
                    comparison = paired[candidate.id]?[policy.scoreMetric(for: task)]
                }
                let scored = first.map { Int(now.timeIntervalSince($0)) } ?? 0
                let checks = policy.evaluate(
                    task: task, liveDeploymentID: live?.id, comparison: comparison, scoredSeconds: scored, approvers: approvers,
                    requester: caller.name)
                let evidence = PromotionEvidence(
                    policy: policy, liveDeploymentID: live?.id, comparison: comparison, scoredSeconds: scored, approvals: approvers,
                    checks: checks, forced: force, reason: body.reason)
                if !evidence.failed.isEmpty && !force { throw PromotionRefused(evidence: evidence) }
                return evidence
            }
            return try APIJSON.response(.ok, Promoted(deployment: deployment, evidence: evidence), headers: ETag.header(deployment.resourceVersion))
        } catch let refused as PromotionRefused {
            try await store.recordRefusal(deployment: id, actor: caller.name, evidence: refused.evidence)
            throw refused
        }
    }

    /// The task of the candidate's model: from the scoreboard's join, cheaply
    /// read as the candidate's spec names the model.
    static func task(of deployment: Deployment, data: any MLDataStore) async throws -> ModelTask {
        try await data.task(ofModel: deployment.spec.model)
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
