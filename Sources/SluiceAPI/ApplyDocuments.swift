import Foundation
import SluiceDomain

/// Reads the documents of `POST /v1/apply`. Each `spec` (with
/// `metadata.name` as its `name`) goes through the request type and the
/// rules of the resource's own `POST`/`PUT`, so a document is valid exactly
/// when that request would be. Every problem of every document is reported
/// at once, with paths such as `documents[2].spec.gates.min_records`.
enum ApplyDocuments {
    /// The most documents in one request.
    static let maxDocuments = 1000

    static func parse(_ documents: [Any]) throws(DomainError) -> [ApplyDocument] {
        var validation = Validation()
        if documents.isEmpty { validation.add("documents", "must hold at least one document") }
        if documents.count > maxDocuments { validation.add("documents", "must hold at most \(maxDocuments) documents") }
        try validation.throwIfInvalid()
        var parsed: [ApplyDocument] = []
        var seen: [String: Int] = [:]
        for (index, value) in documents.enumerated() {
            guard let resource = document(value, index: index, into: &validation) else { continue }
            let key = "\(resource.kind.rawValue)/\(resource.name)"
            if let first = seen[key] {
                validation.add("documents[\(index)]", "declares \(key) again (first in documents[\(first)])")
            }
            seen[key] = seen[key] ?? index
            parsed.append(ApplyDocument(index: index, resource: resource))
        }
        try validation.throwIfInvalid()
        return parsed
    }

    /// The role a document needs (DESIGN.md §3).
    static func role(for resource: ApplyResource) -> Role {
        switch resource {
        case .approvedFunds, .promotionPolicy: .admin
        case .deployment(_, let spec): spec.mode == .live ? .deployer : .scientist
        case .dataset, .experiment, .model: .scientist
        }
    }

    /// The document path of a field a resource's rules named: the name (and
    /// an endpoint's region) lives in `metadata`, everything else in `spec`.
    static func path(_ index: Int, _ kind: ApplyKind, _ field: String) -> String {
        let metadata: Set<String> = switch kind {
        case .approvedFunds: ["client"]
        case .promotionPolicy: ["region", "endpoint"]
        default: ["name"]
        }
        if metadata.contains(field) { return "documents[\(index)].metadata.\(kind == .approvedFunds ? "name" : field)" }
        if field == "body" { return "documents[\(index)].spec" }
        return "documents[\(index)].spec.\(field)"
    }

    private static func document(_ value: Any, index: Int, into validation: inout Validation) -> ApplyResource? {
        let at = "documents[\(index)]"
        guard let object = value as? [String: Any] else {
            validation.add(at, "must be an object with kind, metadata and spec")
            return nil
        }
        for key in object.keys.sorted() where !["kind", "metadata", "spec"].contains(key) {
            validation.add("\(at).\(key)", "is not a known field")
        }
        let kindText = object["kind"] as? String
        guard let kindText, let kind = ApplyKind(rawValue: kindText) else {
            validation.add("\(at).kind", "must be one of \(ApplyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let metadata = object["metadata"] as? [String: Any] else {
            validation.add("\(at).metadata", "must be an object")
            return nil
        }
        let allowed: Set<String> = kind == .promotionPolicy ? ["name", "region", "endpoint"] : ["name"]
        for key in metadata.keys.sorted() where !allowed.contains(key) {
            validation.add("\(at).metadata.\(key)", "is not a known field")
        }
        guard var spec = object["spec"] as? [String: Any] else {
            validation.add("\(at).spec", "must be an object")
            return nil
        }
        for key in ["name", "client", "region", "endpoint"] where spec[key] != nil && path(index, kind, key).contains(".metadata.") {
            validation.add("\(at).spec.\(key)", "belongs in metadata")
            spec[key] = nil
        }
        do throws(DomainError) {
            return try resource(kind, metadata: metadata, spec: spec)
        } catch {
            for violation in violations(error) {
                validation.add(path(index, kind, violation.field), violation.reason)
            }
            return nil
        }
    }

    /// The document as the request its resource's route takes.
    private static func resource(_ kind: ApplyKind, metadata: [String: Any], spec: [String: Any]) throws(DomainError) -> ApplyResource {
        var body = spec
        switch kind {
        case .approvedFunds:
            let client = try name(metadata["name"], field: "client")
            let request = try decode(ApprovedFundsController.PutRequest.self, body)
            try ApprovedFunds.validate(fundIDs: request.fundIDs)
            return .approvedFunds(client: client, fundIDs: request.fundIDs ?? [])
        case .promotionPolicy:
            let (region, endpoint) = try self.endpoint(metadata)
            return .promotionPolicy(try decode(EndpointsController.PolicyRequest.self, body).policy(region: region, endpoint: endpoint))
        case .dataset, .experiment, .model, .deployment:
            body["name"] = metadata["name"]
        }
        switch kind {
        case .dataset:
            let (name, spec) = try decode(DatasetsController.CreateRequest.self, body).validated()
            return .dataset(name: name, spec: spec)
        case .experiment:
            let (name, spec) = try decode(ExperimentsController.CreateRequest.self, body).validated()
            return .experiment(name: name, spec: spec)
        case .model:
            let (name, task) = try decode(ModelsController.CreateRequest.self, body).validated()
            return .model(name: name, task: task)
        default:
            let (name, spec) = try decode(DeploymentsController.CreateRequest.self, body).validated()
            return .deployment(name: name, spec: spec)
        }
    }

    /// `metadata.region` and `metadata.endpoint`, or `metadata.name` as `region/endpoint`.
    private static func endpoint(_ metadata: [String: Any]) throws(DomainError) -> (String, String) {
        var region = metadata["region"] as? String
        var endpoint = metadata["endpoint"] as? String
        if region == nil, endpoint == nil, let name = metadata["name"] as? String {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2 { (region, endpoint) = (String(parts[0]), String(parts[1])) }
        }
        var validation = Validation()
        if region == nil && endpoint == nil {
            validation.add("endpoint", "metadata needs region and endpoint (or name: region/endpoint)")
        } else {
            validation.check(region.map(DeploymentSpec.isRegion) ?? false, "region", "must be an AWS region such as eu-west-1")
            validation.name(endpoint, "endpoint")
        }
        try validation.throwIfInvalid()
        return (region ?? "", endpoint ?? "")
    }

    private static func name(_ value: Any?, field: String) throws(DomainError) -> String {
        var validation = Validation()
        validation.name(value as? String, field)
        try validation.throwIfInvalid()
        return value as? String ?? ""
    }

    /// `body` through the route's own decoder (unknown fields refused).
    private static func decode<T: APIRequestBody>(_ type: T.Type, _ body: [String: Any]) throws(DomainError) -> T {
        do {
            let bytes = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            return try APIJSON.decode(type, from: Array(bytes))
        } catch let error as DomainError {
            throw error
        } catch {
            throw .invalid(field: "body", reason: "must be a JSON object")
        }
    }

    private static func violations(_ error: DomainError) -> [DomainError.FieldViolation] {
        switch error {
        case .invalid(let field, let reason): [.init(field: field, reason: reason)]
        case .invalidFields(let violations): violations
        default: [.init(field: "body", reason: error.problem.detail)]
        }
    }
}
