import Foundation
import SluiceDomain

/// One prediction as a line of a journal segment (JSON). Short keys: a
/// segment is read back only by the gateway.
struct JournalRecord: Codable, Equatable {
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

    /// Records as JSON lines.
    static func encode(_ predictions: [Prediction]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        var bytes: [UInt8] = []
        for prediction in predictions {
            bytes += try encoder.encode(JournalRecord(prediction))
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// JSON lines back to predictions; a line that does not decode is
    /// skipped (segments are renamed into place only after `fsync`, so a
    /// torn line means damage from outside, and one bad line must not block
    /// the rest).
    static func decode(_ bytes: [UInt8]) -> (predictions: [Prediction], damaged: Int) {
        let decoder = JSONDecoder()
        var predictions: [Prediction] = []
        var damaged = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let record = try? decoder.decode(JournalRecord.self, from: Data(line)) {
                predictions.append(record.prediction)
            } else {
                damaged += 1
            }
        }
        return (predictions, damaged)
    }
}
