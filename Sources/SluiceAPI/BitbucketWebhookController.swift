import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `POST /v1/webhooks/bitbucket` (DESIGN.md §4): Bitbucket Cloud `repo:push`
/// and Data Center `repo:refs_changed`. The `X-Hub-Signature: sha256=<hex>`
/// HMAC of the raw body is checked, in constant time, before anything else
/// is read; then each pushed branch is recorded and a run is started for
/// every `trigger: push` experiment on that repository and branch.
///
/// Answers: 404 when no secret is configured (webhooks are off); 401 for a
/// missing, malformed or wrong signature; 400 without an event key or
/// delivery id, or for a body that is not JSON; 422 for a push payload of
/// the wrong shape; 202 for other event keys (acknowledged, ignored);
/// 202 with the started runs; 200 for a delivery id seen before.
public struct BitbucketWebhookController: Sendable {
    private let store: any WebhookStore
    private let authenticator: (any MessageAuthenticator)?

    /// A controller; `authenticator` holds `SLUICE_BITBUCKET_SECRET`, `nil` refuses every delivery.
    public init(store: any WebhookStore, authenticator: (any MessageAuthenticator)?) {
        self.store = store
        self.authenticator = authenticator
    }

    /// Registers the route.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/webhooks/bitbucket", maxBodySize: 4 * 1024 * 1024) { try await receive($0, $1) }
    }

    /// The event keys of a push: Cloud, then Data Center.
    static let pushKeys: Set<String> = ["repo:push", "repo:refs_changed"]

    func receive(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        guard let authenticator else {
            return APIProblem(.notFound, detail: "Bitbucket webhooks are not enabled on this server (no SLUICE_BITBUCKET_SECRET)").response()
        }
        let signature = try Self.verify(request, with: authenticator)
        guard let eventKey = Self.single(request.headers, "X-Event-Key"), !eventKey.isEmpty, eventKey.count <= 100 else {
            throw APIProblem(.badRequest, detail: "X-Event-Key is required")
        }
        guard let delivery = Self.single(request.headers, "X-Request-UUID") ?? Self.single(request.headers, "X-Request-Id"),
            !delivery.isEmpty, delivery.count <= 200
        else { throw APIProblem(.badRequest, detail: "a delivery id (X-Request-UUID or X-Request-Id) is required") }
        guard Self.pushKeys.contains(eventKey) else {
            return try APIJSON.response(.accepted, Result(status: "ignored", deliveryID: delivery, eventKey: eventKey, pushes: 0, runs: []))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            throw APIProblem(.badRequest, detail: "the body is not a JSON object")
        }
        let pushes = try BitbucketPushParser.pushes(eventKey: eventKey, payload: object)
        let outcome = try await store.recordPushes(deliveryID: delivery, bodyDigest: Self.hex(signature), eventKey: eventKey, pushes: pushes)
        if outcome.duplicate {
            return try APIJSON.response(.ok, Result(status: "duplicate", deliveryID: delivery, eventKey: eventKey, pushes: 0, runs: []))
        }
        let runs = outcome.runs.map { RunRef(id: $0.id.lowercasedString, experiment: $0.experiment, commit: $0.commit) }
        return try APIJSON.response(.accepted, Result(status: "accepted", deliveryID: delivery, eventKey: eventKey, pushes: pushes.count, runs: runs))
    }

    /// Checks `X-Hub-Signature` against the HMAC of the raw body; returns it.
    @discardableResult
    static func verify(_ request: HTTPRequest, with authenticator: any MessageAuthenticator) throws -> [UInt8] {
        guard let header = single(request.headers, "X-Hub-Signature") else {
            throw DomainError.unauthorized("X-Hub-Signature is required")
        }
        guard header.hasPrefix("sha256="), let expected = hexBytes(header.dropFirst("sha256=".count)), expected.count == 32 else {
            throw DomainError.unauthorized("X-Hub-Signature must be sha256=<64 hex digits>")
        }
        let actual: [UInt8]
        do {
            actual = try authenticator.authenticationCode(for: request.body)
        } catch {
            throw DomainError.unavailable("the signature could not be computed")
        }
        guard constantTimeEqual(actual, expected) else { throw DomainError.unauthorized("X-Hub-Signature does not match the body") }
        return actual
    }

    /// Compares every byte whatever the first difference (no early exit).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The value of a header that must appear once.
    static func single(_ headers: HTTPHeaders, _ name: String) -> String? {
        let values = headers.values(for: name)
        return values.count == 1 ? values[0].trimmingCharacters(in: .whitespaces) : nil
    }

    struct Result: Encodable {
        var status: String
        var deliveryID: String
        var eventKey: String
        var pushes: Int
        var runs: [RunRef]

        enum CodingKeys: String, CodingKey {
            case status, deliveryID = "delivery_id", eventKey = "event_key", pushes, runs
        }
    }

    struct RunRef: Encodable {
        var id: String
        var experiment: String
        var commit: String?
    }
}
