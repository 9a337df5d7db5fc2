import Foundation
import SluiceDomain
import SluiceHTTP

/// Reads an ingest body: a JSON array of objects, or NDJSON (one object per
/// line). Every item is checked; problems are reported by item index
/// (`[3].latency_ms`), and one bad item refuses the whole batch.
struct IngestParser {
    let now: Date

    /// The items of `body` as JSON objects, read by ``IngestJSONReader``.
    static let tooManyItems = DomainError.invalid(field: "body", reason: "must hold at most \(IngestRules.maxBatch) items")
    static let tooManyValues = DomainError.invalid(
        field: "body", reason: "holds more than \(IngestJSONReader.maxValues) JSON values, or an array or object of more than 1024 entries")

    static func objects(_ body: [UInt8], ndjson: Bool) throws -> [IngestJSONObject] {
        var items: [IngestJSON] = []
        var budget = IngestJSONReader.maxValues
        if ndjson {
            var start = 0
            var line = 0
            for index in 0...body.count where index == body.count || body[index] == UInt8(ascii: "\n") {
                let slice = body[start..<index]
                start = index + 1
                line += 1
                if slice.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                guard items.count < IngestRules.maxBatch else { throw Self.tooManyItems }
                let item: IngestJSON
                do {
                    item = try IngestJSONReader.parse(slice, budget: &budget)
                } catch {
                    if error.tooMany { throw Self.tooManyValues }
                    throw APIProblem(.badRequest, detail: "line \(line) is not valid JSON")
                }
                items.append(item)
            }
        } else {
            let parsed: IngestJSON
            do {
                parsed = try IngestJSONReader.parse(body[...], maxElements: IngestRules.maxBatch, budget: &budget)
            } catch {
                if error.tooMany { throw error.tooManyItems ? Self.tooManyItems : Self.tooManyValues }
                throw APIProblem(.badRequest, detail: "the body is not valid JSON")
            }
            guard case .array(let array) = parsed else { throw DomainError.invalid(field: "body", reason: "must be a JSON array") }
            items = array
        }
        guard !items.isEmpty else { throw DomainError.invalid(field: "body", reason: "must hold at least one item") }
        guard items.count <= IngestRules.maxBatch else { throw Self.tooManyItems }
        var validation = Validation()
        var objects: [IngestJSONObject] = []
        objects.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else {
                validation.add("[\(index)]", "must be a JSON object")
                continue
            }
            objects.append(object)
        }
        try validation.throwIfInvalid()
        return objects
    }

    func predictions(_ objects: [IngestJSONObject]) throws(DomainError) -> [Prediction] {
        var validation = Validation()
        var seen = Set<PredictionKey>()
        var deploymentIDs = UUIDMemo()
        var result: [Prediction] = []
        result.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            let path = "[\(index)]"
            unknown(object, Self.predictionFields, path, &validation)
            let id = object["deployment_id"]?.string.flatMap { deploymentIDs.parse($0) }
            validation.check(id != nil, "\(path).deployment_id", "must be a deployment id (a UUID)")
            let requestID = requestID(object["request_id"], path, &validation)
            let output = output(object["output"], path, &validation)
            let latency = object["latency_ms"]?.number
            validation.check(latency.map { $0 >= 0 && $0 < 86_400_000 } ?? false, "\(path).latency_ms", "must be a number of milliseconds, 0 or more")
            let at = time(object["at"], path, &validation)
            if let id, let requestID {
                validation.check(seen.insert(PredictionKey(id: id, requestID: requestID)).inserted, "\(path).request_id", "repeats an earlier item of this batch")
            }
            if let id, let requestID, let output, let latency, let at {
                result.append(Prediction(deploymentID: id, requestID: requestID, output: output, latencyMS: latency, at: at))
            }
            if validation.violations.count >= 100 { break }
        }
        try validation.throwIfInvalid()
        return result
    }

    func outcomes(_ objects: [IngestJSONObject]) throws(DomainError) -> [Outcome] {
        var validation = Validation()
        var seen = Set<String>()
        var result: [Outcome] = []
        result.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            let path = "[\(index)]"
            unknown(object, Self.outcomeFields, path, &validation)
            let region = object["region"]?.string
            validation.check(region.map(DeploymentSpec.isRegion) ?? false, "\(path).region", "must be an AWS region such as eu-west-1")
            let endpoint = object["endpoint"]?.string
            validation.check(endpoint.map(ResourceName.isValid) ?? false, "\(path).endpoint", ResourceName.rule)
            let requestID = requestID(object["request_id"], path, &validation)
            var actual: OutcomeValue?
            if let value = object["actual"]?.number {
                if IngestRules.isStorable(value) {
                    actual = .number(value)
                } else {
                    validation.add("\(path).actual", "must be a number from -1e30 to 1e30")
                }
            } else if let label = object["actual"]?.string, IngestRules.isLabel(label) {
                actual = .label(label)
            } else {
                validation.add("\(path).actual", "must be a number or a label")
            }
            let at = time(object["at"], path, &validation)
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

    /// The members an item may have. Five names: a linear search beats
    /// hashing each key, and a `Set` literal here was built for every item.
    private static let predictionFields = ["deployment_id", "request_id", "output", "latency_ms", "at"]
    private static let outcomeFields = ["region", "endpoint", "request_id", "actual", "at"]

    private func unknown(_ object: IngestJSONObject, _ known: [String], _ path: String, _ validation: inout Validation) {
        for member in object.members where !known.contains(member.key) { validation.add("\(path).\(member.key)", "is not a known field") }
    }

    private func requestID(_ value: IngestJSON?, _ path: String, _ validation: inout Validation) -> String? {
        guard let text = value?.string, IngestRules.isRequestID(text) else {
            validation.add("\(path).request_id", "must be 1-256 visible ASCII characters")
            return nil
        }
        return text
    }

    private func output(_ value: IngestJSON?, _ path: String, _ validation: inout Validation) -> PredictionOutput? {
        if let number = value?.number {
            guard IngestRules.isStorable(number) else {
                validation.add("\(path).output", "must be a number from -1e30 to 1e30")
                return nil
            }
            return .number(number)
        }
        if let label = value?.string, IngestRules.isLabel(label) { return .label(label, probabilities: nil) }
        if let object = value?.object, let label = object["label"]?.string, IngestRules.isLabel(label),
            object.members.allSatisfy({ $0.key == "label" || $0.key == "probabilities" }) {
            guard let raw = object["probabilities"] else { return .label(label, probabilities: nil) }
            guard let members = raw.object, members.count > 0, members.count <= 1000 else {
                validation.add("\(path).output.probabilities", "must map labels to probabilities")
                return nil
            }
            var probabilities: [String: Double] = [:]
            probabilities.reserveCapacity(members.count)
            for (key, value) in members.members {
                guard IngestRules.isLabel(key), let p = value.number, (0...1).contains(p) else {
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

    /// The item's `at` (`path` is the item's, `[3]`).
    private func time(_ value: IngestJSON?, _ path: String, _ validation: inout Validation) -> Date? {
        guard let text = value?.string, let date = APITime.parse(text) else {
            validation.add("\(path).at", "must be an RFC 3339 time such as 2026-11-27T18:09:32.123Z")
            return nil
        }
        guard date.timeIntervalSince(now) <= IngestRules.maxFutureSkew, now.timeIntervalSince(date) <= IngestRules.maxAge else {
            validation.add("\(path).at", "is too far in the future or the past")
            return nil
        }
        return date
    }
}

/// A prediction's unique key within a batch.
private struct PredictionKey: Hashable {
    var id: UUID
    var requestID: String
}

/// The last deployment id read, kept: a batch usually names one or a few
/// deployments, and `UUID(uuidString:)` need not run a thousand times.
private struct UUIDMemo {
    var last: (String, UUID)?

    mutating func parse(_ text: String) -> UUID? {
        if let last, last.0 == text { return last.1 }
        guard let id = UUID(uuidString: text) else { return nil }
        last = (text, id)
        return id
    }
}
