import Foundation
import SluiceDomain

/// One prediction as a line of a journal segment (JSON). Plain keys: a
/// segment is read back only by the gateway.
struct JournalRecord: Equatable {
    var deployment: UUID
    var request: String
    var number: Double?
    var label: String?
    var probabilities: [String: Double]?
    var latency: Double
    var status: Int?
    /// Seconds since 1970.
    var at: Double

    init(_ prediction: Prediction) {
        deployment = prediction.deploymentID
        request = prediction.requestID
        switch prediction.output {
        case .number(let value)?: number = value
        case .label(let value, let probs)?:
            label = value
            probabilities = probs
        case nil: break
        }
        latency = prediction.latencyMS
        status = prediction.status
        at = prediction.at.timeIntervalSince1970
    }

    var prediction: Prediction {
        let output: PredictionOutput? = if let number { .number(number) } else if let label {
            .label(label, probabilities: probabilities)
        } else { nil }
        return Prediction(
            deploymentID: deployment, requestID: request, output: output, latencyMS: latency,
            at: Date(timeIntervalSince1970: at), status: status)
    }

    /// Records as JSON lines, written by hand into bytes (Foundation's
    /// `JSONEncoder` was 5 % of the gateway's CPU under load, then building
    /// the line as a `String` 4 %).
    static func encode(_ predictions: [Prediction]) throws -> [UInt8] {
        var line = JournalLineWriter(capacity: predictions.count * 192)
        for prediction in predictions {
            let record = JournalRecord(prediction)
            line.append(#"{"deployment":""#)
            line.append(record.deployment)
            line.append(#"","request":"#)
            line.append(quoted: record.request)
            if let number = record.number {
                line.append(#","number":"#)
                line.append(number)
            }
            if let label = record.label {
                line.append(#","label":"#)
                line.append(quoted: label)
            }
            if let probabilities = record.probabilities {
                line.append(#","probabilities":{"#)
                // `String` order, as the first encoder's `keys.sorted()` wrote them.
                for (offset, entry) in probabilities.sorted(by: { $0.key < $1.key }).enumerated() {
                    if offset > 0 { line.append(",") }
                    line.append(quoted: entry.key)
                    line.append(":")
                    line.append(entry.value)
                }
                line.append("}")
            }
            line.append(#","latency":"#)
            line.append(record.latency)
            if let status = record.status {
                line.append(#","status":"#)
                line.append(status)
            }
            line.append(#","at":"#)
            line.append(record.at)
            line.append("}\n")
        }
        return line.bytes
    }

    /// One journal line back to a record; `nil` when it is not one.
    static func record(_ json: JSONValue) -> JournalRecord? {
        guard let members = json.objectValue,
              case .string(let deploymentText)? = members["deployment"], let deployment = UUID(uuidString: deploymentText),
              case .string(let request)? = members["request"],
              case .number(let latency)? = members["latency"], case .number(let at)? = members["at"]
        else { return nil }
        var record = JournalRecord(Prediction(
            deploymentID: deployment, requestID: request, output: nil, latencyMS: latency, at: Date(timeIntervalSince1970: at)))
        record.at = at
        if case .number(let number)? = members["number"] { record.number = number }
        if case .string(let label)? = members["label"] { record.label = label }
        if let probabilities = members["probabilities"]?.objectValue {
            var map: [String: Double] = [:]
            for (key, value) in probabilities {
                guard case .number(let p) = value else { return nil }
                map[key] = p
            }
            record.probabilities = map
        }
        if case .number(let status)? = members["status"] { record.status = Int(exactly: status) }
        return record
    }

    /// JSON lines back to predictions; a line that does not decode is
    /// skipped (a segment sealed after a crash may end in a torn line, never
    /// acknowledged, and one bad line must not block the rest).
    static func decode(_ bytes: [UInt8]) -> (predictions: [Prediction], damaged: Int) {
        var predictions: [Prediction] = []
        var damaged = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let json = JSONScanner.parse(Array(line)), let record = record(json) {
                predictions.append(record.prediction)
            } else {
                damaged += 1
            }
        }
        return (predictions, damaged)
    }
}
