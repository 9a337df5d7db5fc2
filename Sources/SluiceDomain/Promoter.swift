public import Foundation

/// Promotes a stealth deployment to live when its endpoint's policy allows
/// (DESIGN.md §4): the rules are checked against the scoreboard inside the
/// transaction that swaps live and stealth, so what was checked is what
/// was replaced. Used by the API and by the auto-promotion worker.
public struct Promoter: Sendable {
    public let endpoints: any EndpointStore
    public let data: any MLDataStore

    /// A promoter over the stores.
    public init(endpoints: any EndpointStore, data: any MLDataStore) {
        self.endpoints = endpoints
        self.data = data
    }

    /// Promotes `deployment` for `actor`; `force` skips the rules (the
    /// caller checks that an admin asked, with a reason). Throws
    /// ``PromotionRefusal`` with the evidence when a rule fails, after
    /// recording the refusal when `recordRefusal` is set.
    ///
    /// The evidence is computed first, without holding a connection or a
    /// lock (its queries may take seconds, and each needs a connection of
    /// its own); the swap's transaction then checks that it still describes
    /// the endpoint, and the promotion starts over (at most three times)
    /// when it does not.
    public func promote(
        deployment id: UUID, actor: String, force: Bool = false, reason: String? = nil, recordRefusal: Bool = true
    ) async throws -> (Deployment, PromotionEvidence) {
        try await promote(deployment: id, actor: actor, force: force, reason: reason, recordRefusal: recordRefusal, automatic: false)
    }

    /// ``promote(deployment:actor:force:reason:recordRefusal:)``; when
    /// `automatic`, only a candidate that serves its current spec (phase
    /// `ready`, generation observed) on an endpoint whose policy still has
    /// `auto_promote` (checked again under the swap's locks, through the
    /// policy's version) is promoted, else ``NotEligibleForAutoPromotion``.
    func promote(
        deployment id: UUID, actor: String, force: Bool, reason: String?, recordRefusal: Bool, automatic: Bool
    ) async throws -> (Deployment, PromotionEvidence) {
        for _ in 0..<3 {
            let (candidate, live) = try await endpoints.promotionPair(deployment: id)
            if automatic && (candidate.status.phase != .ready || candidate.observedGeneration != candidate.generation) {
                throw NotEligibleForAutoPromotion()
            }
            let evidence = try await self.evidence(candidate: candidate, live: live, actor: actor, force: force, reason: reason)
            if automatic && !evidence.policy.autoPromote { throw NotEligibleForAutoPromotion() }
            if !evidence.failed.isEmpty && !force {
                if recordRefusal { try await endpoints.recordRefusal(deployment: id, actor: actor, evidence: evidence) }
                throw PromotionRefusal(evidence: evidence)
            }
            let basis = PromotionBasis(
                candidateResourceVersion: candidate.resourceVersion, liveID: live?.id, liveResourceVersion: live?.resourceVersion,
                approvals: force ? [] : evidence.approvals, policyResourceVersion: evidence.policy.resourceVersion)
            do {
                let promoted = try await endpoints.promote(
                    deployment: id, actor: actor, action: force ? "promotion_forced" : "promoted", basis: basis, evidence: evidence)
                return (promoted, evidence)
            } catch is PromotionBasisChanged {
                continue
            }
        }
        throw DomainError.conflict("the endpoint kept changing while the promotion was checked; try again")
    }

    /// The policy's rules checked against the scoreboard for `candidate`
    /// replacing `live`.
    func evidence(
        candidate: Deployment, live: Deployment?, actor: String, force: Bool, reason: String?
    ) async throws -> PromotionEvidence {
        let region = candidate.spec.region
        let endpoint = candidate.spec.endpoint
        let approvers = try await endpoints.approvers(of: candidate.id)
        let policy = try await endpoints.policy(region: region, endpoint: endpoint)
        let task = try await data.task(ofModel: candidate.spec.model)
        let now = Date()
        // Evidence counts from the candidate's first answer while both it
        // and the live deployment served their current model versions
        // (decision 84): a new version starts afresh.
        let since = [candidate.versionChangedAt, live?.versionChangedAt].compactMap { $0 }.max()
        let first = try await data.firstPrediction(region: region, endpoint: endpoint, deployment: candidate.id)
            .map { first in since.map { max(first, $0) } ?? first }
        var comparison: PairedComparison?
        if let live, let first {
            // Every request both have answered since the candidate's first.
            // The comparison reads hourly rollups from the start of `since`'s
            // hour: after a version change, from the next whole hour, so no
            // answer of the previous version is counted.
            let pairedSince = since.map { $0 >= first ? Self.nextWholeHour($0) : first } ?? first
            let paired = try await data.paired(
                region: region, endpoint: endpoint, since: pairedSince, until: now.addingTimeInterval(IngestRules.maxFutureSkew),
                live: live.id)
            comparison = paired[candidate.id]?[policy.scoreMetric(for: task)]
        }
        let scored = first.map { Int(now.timeIntervalSince($0)) } ?? 0
        let checks = policy.evaluate(
            task: task, liveDeploymentID: live?.id, comparison: comparison, scoredSeconds: scored, approvers: approvers,
            requester: actor)
        return PromotionEvidence(
            policy: policy, liveDeploymentID: live?.id, comparison: comparison, scoredSeconds: scored,
            approvals: approvers, checks: checks, forced: force, reason: reason)
    }

    /// `date` if it is a whole UTC hour, else the next one.
    static func nextWholeHour(_ date: Date) -> Date {
        let hours = (date.timeIntervalSince1970 / 3600).rounded(.up)
        return Date(timeIntervalSince1970: hours * 3600)
    }

    /// Promotes every stealth deployment of an endpoint with `auto_promote`
    /// that serves its current spec and whose rules all pass; refusals are
    /// not recorded (they would repeat every pass). A candidate that fails
    /// (its queries, or deleted meanwhile) does not stop the others.
    public func autoPromote(actor: String = "auto-promoter") async throws -> AutoPromotionPass {
        var pass = AutoPromotionPass()
        for id in try await endpoints.autoPromotionCandidates() {
            do {
                _ = try await promote(deployment: id, actor: actor, force: false, reason: nil, recordRefusal: false, automatic: true)
                pass.promoted.append(id)
            } catch is PromotionRefusal {
                continue
            } catch is NotEligibleForAutoPromotion {
                continue
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as DomainError {
                // Promoted or deleted meanwhile: nothing to do.
                switch error {
                case .conflict, .notFound: continue
                default: pass.failed.append((id, error))
                }
            } catch {
                pass.failed.append((id, error))
            }
        }
        return pass
    }
}

/// What one auto-promotion pass did.
public struct AutoPromotionPass: Sendable {
    /// The deployments promoted.
    public var promoted: [UUID] = []
    /// Candidates whose check failed (logged; retried next pass).
    public var failed: [(id: UUID, error: any Error)] = []

    /// An empty pass.
    public init() {}
}

/// A candidate the auto-promoter leaves alone: not serving its current
/// spec, or its endpoint's policy no longer has `auto_promote`.
struct NotEligibleForAutoPromotion: Error {}

/// What a promotion's evidence was computed on: the swap happens only if
/// the candidate and the live deployment are still these, unchanged, and
/// the approvals counted are still open.
public struct PromotionBasis: Sendable, Equatable {
    public var candidateResourceVersion: Int64
    public var liveID: UUID?
    public var liveResourceVersion: Int64?
    /// The approvers the evidence counted (none when forced).
    public var approvals: [String]
    /// The version of the endpoint policy the rules came from (0: the
    /// defaults, no stored policy); nil: not checked.
    public var policyResourceVersion: Int64?

    /// A basis.
    public init(
        candidateResourceVersion: Int64, liveID: UUID?, liveResourceVersion: Int64?, approvals: [String],
        policyResourceVersion: Int64? = nil
    ) {
        self.candidateResourceVersion = candidateResourceVersion
        self.liveID = liveID
        self.liveResourceVersion = liveResourceVersion
        self.approvals = approvals
        self.policyResourceVersion = policyResourceVersion
    }
}

/// The endpoint changed between a promotion's evidence and its swap.
public struct PromotionBasisChanged: Error, Sendable {
    /// The error.
    public init() {}
}

/// A promotion the endpoint's policy refuses, with the evidence.
public struct PromotionRefusal: Error, Sendable {
    public let evidence: PromotionEvidence

    /// A refusal.
    public init(evidence: PromotionEvidence) {
        self.evidence = evidence
    }
}
