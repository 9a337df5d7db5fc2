import Foundation
import SluiceDomain
import SluicePostgres

/// A batch of predictions as one array per column, bound to `unnest`
/// (decision 50). Probabilities are written as JSON text here, without
/// `JSONEncoder`.
struct PredictionColumns {
    var deploymentID = PGArrayText()
    var requestID = PGArrayText()
    var region = PGArrayText()
    var endpoint = PGArrayText()
    var number = PGArrayText()
    var label = PGArrayText()
    var probabilities = PGArrayText()
    var latency = PGArrayText()
    var at = PGArrayText()
    var status = PGArrayText()

    init(_ predictions: [Prediction], places: [UUID: (region: String, endpoint: String)]) throws {
        let count = predictions.count
        deploymentID = PGArrayText(capacity: count * 39)
        requestID = PGArrayText(capacity: count * 24)
        region = PGArrayText(capacity: count * 13)
        endpoint = PGArrayText(capacity: count * 16)
        number = PGArrayText(capacity: count * 8)
        label = PGArrayText(capacity: count * 8)
        probabilities = PGArrayText(capacity: count * 40)
        latency = PGArrayText(capacity: count * 8)
        at = PGArrayText(capacity: count * 30)
        status = PGArrayText(capacity: count * 5)
        var json: [UInt8] = []
        // A batch names one or a few deployments, usually in runs: the
        // last one's id text and place are kept rather than looked up
        // (hashing a UUID) for every row.
        var last: (id: UUID, text: String, place: (region: String, endpoint: String))?
        for prediction in predictions {
            let current: (id: UUID, text: String, place: (region: String, endpoint: String))
            if let last, last.id == prediction.deploymentID {
                current = last
            } else {
                current = (prediction.deploymentID, prediction.deploymentID.uuidString, places[prediction.deploymentID] ?? ("", ""))
                last = current
            }
            deploymentID.append(current.text)
            requestID.append(prediction.requestID)
            region.append(current.place.region)
            endpoint.append(current.place.endpoint)
            switch prediction.output {
            case .number(let value)?:
                number.append(value)
                label.append(nil as String?)
                probabilities.append(nil as String?)
            case .label(let value, let probs)?:
                number.append(nil as Double?)
                label.append(value)
                if let probs {
                    json.removeAll(keepingCapacity: true)
                    try JSONText.appendObject(probs, to: &json)
                    json.withUnsafeBufferPointer { probabilities.append(utf8: $0) }
                } else {
                    probabilities.append(nil as String?)
                }
            case nil:
                number.append(nil as Double?)
                label.append(nil as String?)
                probabilities.append(nil as String?)
            }
            latency.append(prediction.latencyMS)
            try at.append(prediction.at)
            status.append(prediction.status)
        }
    }
}

/// A batch of outcomes as one array per column.
struct OutcomeColumns {
    var region = PGArrayText()
    var endpoint = PGArrayText()
    var requestID = PGArrayText()
    var number = PGArrayText()
    var label = PGArrayText()
    var at = PGArrayText()

    init(_ outcomes: [Outcome]) throws {
        for outcome in outcomes {
            region.append(outcome.region)
            endpoint.append(outcome.endpoint)
            requestID.append(outcome.requestID)
            switch outcome.actual {
            case .number(let value):
                number.append(value)
                label.append(nil as String?)
            case .label(let value):
                number.append(nil as Double?)
                label.append(value)
            }
            try at.append(outcome.at)
        }
    }
}

/// JSON text (RFC 8259) of a label → probability map.
enum JSONText {
    /// Appends `{"label":p,...}`; throws for a non-finite number, which JSON cannot hold.
    static func appendObject(_ members: [String: Double], to buffer: inout [UInt8]) throws {
        buffer.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in members {
            guard value.isFinite else { throw PGError(code: .encoding, message: "a probability is not a finite number") }
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            appendString(key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            buffer.append(contentsOf: value.description.utf8)
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// A quoted string: `"` and `\` escaped, control characters as `\u00XX` (§7).
    static func appendString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(byte)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default:
                buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
