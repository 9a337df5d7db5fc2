import Foundation
import SluiceDomain
import SluicePostgres

/// A batch of predictions as one array per column, bound to `unnest`
/// (decision 50) in binary format (decision 74). Probabilities are written
/// as JSON text here, without `JSONEncoder`.
struct PredictionColumns {
    var deploymentID: PGBinaryArray<UUID>
    var requestID: PGBinaryArray<String>
    var region: PGBinaryArray<String>
    var endpoint: PGBinaryArray<String>
    var number: PGBinaryArray<Double>
    var label: PGBinaryArray<String>
    var probabilities: PGBinaryArray<PGJSONB>
    var latency: PGBinaryArray<Double>
    var at: PGBinaryArray<Date>
    var status: PGBinaryArray<Int32>

    init(_ predictions: [Prediction], places: [UUID: (region: String, endpoint: String)]) throws {
        let count = predictions.count
        deploymentID = PGBinaryArray(capacity: count * 20)
        requestID = PGBinaryArray(capacity: count * 28)
        region = PGBinaryArray(capacity: count * 16)
        endpoint = PGBinaryArray(capacity: count * 20)
        number = PGBinaryArray(capacity: count * 12)
        label = PGBinaryArray(capacity: count * 12)
        probabilities = PGBinaryArray(capacity: count * 44)
        latency = PGBinaryArray(capacity: count * 12)
        at = PGBinaryArray(capacity: count * 12)
        status = PGBinaryArray(capacity: count * 8)
        var json: [UInt8] = []
        // A batch names one or a few deployments, usually in runs: the
        // last one's place is kept rather than looked up (hashing a UUID)
        // for every row.
        var last: (id: UUID, place: (region: String, endpoint: String))?
        for prediction in predictions {
            let current: (id: UUID, place: (region: String, endpoint: String))
            if let last, last.id == prediction.deploymentID {
                current = last
            } else {
                current = (prediction.deploymentID, places[prediction.deploymentID] ?? ("", ""))
                last = current
            }
            try deploymentID.append(current.id)
            try requestID.append(prediction.requestID)
            try region.append(current.place.region)
            try endpoint.append(current.place.endpoint)
            switch prediction.output {
            case .number(let value)?:
                try number.append(value)
                label.appendNull()
                probabilities.appendNull()
            case .label(let value, let probs)?:
                number.appendNull()
                try label.append(value)
                if let probs {
                    json.removeAll(keepingCapacity: true)
                    try JSONText.appendObject(probs, to: &json)
                    try json.withUnsafeBufferPointer { try probabilities.append(json: $0) }
                } else {
                    probabilities.appendNull()
                }
            case nil:
                number.appendNull()
                label.appendNull()
                probabilities.appendNull()
            }
            try latency.append(prediction.latencyMS)
            try at.append(prediction.at)
            if let code = prediction.status {
                guard let value = Int32(exactly: code) else {
                    throw PGError(code: .encoding, message: "status \(code) is outside int4")
                }
                try status.append(value)
            } else {
                status.appendNull()
            }
        }
    }
}

/// A batch of outcomes as one array per column, in binary format.
struct OutcomeColumns {
    var region = PGBinaryArray<String>()
    var endpoint = PGBinaryArray<String>()
    var requestID = PGBinaryArray<String>()
    var number = PGBinaryArray<Double>()
    var label = PGBinaryArray<String>()
    var at = PGBinaryArray<Date>()

    init(_ outcomes: [Outcome]) throws {
        for outcome in outcomes {
            try region.append(outcome.region)
            try endpoint.append(outcome.endpoint)
            try requestID.append(outcome.requestID)
            switch outcome.actual {
            case .number(let value):
                try number.append(value)
                label.appendNull()
            case .label(let value):
                number.appendNull()
                try label.append(value)
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
