import Foundation
import SluiceDomain
import SluiceHTTP

/// Reads an ingest body: a JSON array of objects, or NDJSON (one object per
/// line). Every item is checked; problems are reported by item index
/// (`[3].latency_ms`), and one bad item refuses the whole batch.
struct IngestParser {
    let now: Date

    /// The items of `body` as JSON objects.
    static func objects(_ body: [UInt8], ndjson: Bool) throws -> [[String: Any]] {
        var items: [Any] = []
        if ndjson {
            var start = 0
            var line = 0
            for index in 0...body.count where index == body.count || body[index] == UInt8(ascii: "\n") {
                let slice = body[start..<index]
                start = index + 1
                line += 1
                if slice.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                guard let item = try? JSONSerialization.jsonObject(with: Data(slice)) else {
                    throw APIProblem(.badRequest, detail: "line \(line) is not valid JSON")
                }
                items.append(item)
            }
        } else {
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(body)) else {
                throw APIProblem(.badRequest, detail: "the body is not valid JSON")
            }
            guard let array = parsed as? [Any] else { throw DomainError.invalid(field: "body", reason: "must be a JSON array") }
            items = array
        }
        guard !items.isEmpty else { throw DomainError.invalid(field: "body", reason: "must hold at least one item") }
        guard items.count <= IngestRules.maxBatch else {
            throw DomainError.invalid(field: "body", reason: "must hold at most \(IngestRules.maxBatch) items")
        }
        var validation = Validation()
        var objects: [[String: Any]] = []
        objects.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let object = item as? [String: Any] else {
                validation.add("[\(index)]", "must be a JSON object")
                continue
            }
            objects.append(object)
        }
        try validation.throwIfInvalid()
        return objects
    }

    func predictions(_ objects: [[String: Any]]) throws(DomainError) -> [Prediction] {
        var validation = Validation()
        var seen = Set<String>()
        var result: [Prediction] = []
        result.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            let path = "[\(index)]"
            unknown(object, ["deployment_id", "request_id", "output", "latency_ms", "at"], path, &validation)
            let id = (object["deployment_id"] as? String).flatMap(UUID.init(uuidString:))
            validation.check(id != nil, "\(path).deployment_id", "must be a deployment id (a UUID)")
            let requestID = requestID(object["request_id"], path, &validation)
            let output = output(object["output"], path, &validation)
            let latency = number(object["latency_ms"])
            validation.check(latency.map { $0 >= 0 && $0 < 86_400_000 } ?? false, "\(path).latency_ms", "must be a number of milliseconds, 0 or more")
            let at = time(object["at"], "\(path).at", &validation)
            if let id, let requestID {
                validation.check(seen.insert("\(id)/\(requestID)").inserted, "\(path).request_id", "repeats an earlier item of this batch")
            }
            if let id, let requestID, let output, let latency, let at {
                result.append(Prediction(deploymentID: id, requestID: requestID, output: output, latencyMS: latency, at: at))
            }
            if validation.violations.count >= 100 { break }
        }
        try validation.throwIfInvalid()
        return result
    }

    func outcomes(_ objects: [[String: Any]]) throws(DomainError) -> [Outcome] {
        var validation = Validation()
        var seen = Set<String>()
        var result: [Outcome] = []
        result.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            let path = "[\(index)]"
            unknown(object, ["region", "endpoint", "request_id", "actual", "at"], path, &validation)
            let region = object["region"] as? String
            validation.check(region.map(DeploymentSpec.isRegion) ?? false, "\(path).region", "must be an AWS region such as eu-west-1")
            let endpoint = object["endpoint"] as? String
            validation.check(endpoint.map(ResourceName.isValid) ?? false, "\(path).endpoint", ResourceName.rule)
            let requestID = requestID(object["request_id"], path, &validation)
            var actual: OutcomeValue?
            if let value = number(object["actual"]) {
                actual = .number(value)
            } else if let label = object["actual"] as? String, IngestRules.isLabel(label) {
                actual = .label(label)
            } else {
                validation.add("\(path).actual", "must be a number or a label")
            }
            let at = time(object["at"], "\(path).at", &validation)
            if let region, let endpoint, let requestID {
                validation.check(seen.insert("\(region)/\(endpoint)/\(requestID)").inserted, "\(path).request_id",
                    "repeats an earlier item of this batch")
            }
            if let region, let endpoint, let requestID, let actual, let at {
                result.append(Outcome(region: region, endpoint: endpoint, requestID: requestID, actual: actual, at: at))
            }
            if validation.violations.count >= 100 { break }
        }
        try validation.throwIfInvalid()
        return result
    }

    private func unknown(_ object: [String: Any], _ known: Set<String>, _ path: String, _ validation: inout Validation) {
        for key in object.keys where !known.contains(key) { validation.add("\(path).\(key)", "is not a known field") }
    }

    private func requestID(_ value: Any?, _ path: String, _ validation: inout Validation) -> String? {
        guard let text = value as? String, IngestRules.isRequestID(text) else {
            validation.add("\(path).request_id", "must be 1-256 visible ASCII characters")
            return nil
        }
        return text
    }

    private func output(_ value: Any?, _ path: String, _ validation: inout Validation) -> PredictionOutput? {
        if let number = number(value) { return .number(number) }
        if let label = value as? String, IngestRules.isLabel(label) { return .label(label, probabilities: nil) }
        if let object = value as? [String: Any], let label = object["label"] as? String, IngestRules.isLabel(label),
            Set(object.keys).isSubset(of: ["label", "probabilities"]) {
            guard let raw = object["probabilities"] else { return .label(label, probabilities: nil) }
            guard let members = raw as? [String: Any], !members.isEmpty, members.count <= 1000 else {
                validation.add("\(path).output.probabilities", "must map labels to probabilities")
                return nil
            }
            var probabilities: [String: Double] = [:]
            for (key, value) in members {
                guard IngestRules.isLabel(key), let p = number(value), (0...1).contains(p) else {
                    validation.add("\(path).output.probabilities", "must map labels to numbers from 0 to 1")
                    return nil
                }
                probabilities[key] = p
            }
            return .label(label, probabilities: probabilities)
        }
        validation.add("\(path).output", "must be a number, a label, or {\"label\", \"probabilities\"}")
        return nil
    }

    /// A JSON number. Foundation bridges booleans to NSNumber too; their
    /// Objective-C type is `c` (char), which JSON numbers never have.
    private func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    private func time(_ value: Any?, _ field: String, _ validation: inout Validation) -> Date? {
        guard let text = value as? String, let date = APITime.parse(text) else {
            validation.add(field, "must be an RFC 3339 time such as 2026-11-27T18:09:32.123Z")
            return nil
        }
        guard date.timeIntervalSince(now) <= IngestRules.maxFutureSkew, now.timeIntervalSince(date) <= IngestRules.maxAge else {
            validation.add(field, "is too far in the future or the past")
            return nil
        }
        return date
    }
}
