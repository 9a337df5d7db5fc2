import Foundation
import SluiceDomain
@testable import SluiceGateway
import Testing

/// The byte-level journal encoder against the `String` one it replaced.
@Suite struct JournalEncodingTests {
    @Test func encode_writesTheSameBytesAsTheStringEncoder() throws {
        // Unseeded: a mismatch prints the reference line, which is the input.
        var random = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let predictions = (0..<(round % 7)).map { _ in Self.prediction(&random) }
            let bytes = try JournalRecord.encode(predictions)
            let reference = ReferenceJournalEncoder.encode(predictions)
            #expect(bytes == reference, "\(String(decoding: reference, as: UTF8.self))")
            // JSON has no NaN or infinity: such a line is unreadable, before as now.
            let readable = predictions.filter { Self.doubles($0).allSatisfy(\.isFinite) }
            #expect(JournalRecord.decode(bytes).predictions.map(\.requestID) == readable.map(\.requestID))
        }
    }

    @Test func encode_writesNumbersAsSwiftPrintsThem() throws {
        let numbers: [Double] = [0, -0.0, 1, 0.1, 1e16, 1e-7, 123_456_789.012, 1_764_000_000.123456, .greatestFiniteMagnitude,
                                 .leastNonzeroMagnitude, .leastNormalMagnitude, -2.5e-308, .infinity, -.infinity, .nan, -.nan]
        let id = UUID()
        for number in numbers {
            let prediction = Prediction(deploymentID: id, requestID: "r", output: .number(number), latencyMS: number,
                                        at: Date(timeIntervalSince1970: number), status: Int.min)
            #expect(try JournalRecord.encode([prediction]) == ReferenceJournalEncoder.encode([prediction]), "\(number)")
        }
    }

    @Test func encode_escapesEveryControlCharacterAndKeepsTheRest() throws {
        let text = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init))) + "é🐟\u{2028}\u{7F}\"\\"
        let prediction = Prediction(deploymentID: UUID(), requestID: text, output: .label(text, probabilities: [text: 0.5]),
                                    latencyMS: 1, at: Date(timeIntervalSince1970: 0), status: nil)
        let bytes = try JournalRecord.encode([prediction])
        #expect(bytes == ReferenceJournalEncoder.encode([prediction]))
        #expect(JournalRecord.decode(bytes).predictions == [prediction])
    }

    static func prediction(_ random: inout some RandomNumberGenerator) -> Prediction {
        let output: PredictionOutput? = switch random.next() % 4 {
        case 0: .number(double(&random))
        case 1: .label(text(&random), probabilities: nil)
        case 2: .label(text(&random), probabilities: Dictionary((0..<(random.next() % 5)).map { _ in (text(&random), double(&random)) },
                                                                 uniquingKeysWith: { first, _ in first }))
        default: nil
        }
        return Prediction(
            deploymentID: UUID(), requestID: text(&random), output: output, latencyMS: double(&random),
            at: Date(timeIntervalSince1970: double(&random)), status: random.next() % 3 == 0 ? nil : Int(truncatingIfNeeded: random.next()) % 1000)
    }

    static func doubles(_ prediction: Prediction) -> [Double] {
        var doubles = [prediction.latencyMS, prediction.at.timeIntervalSince1970]
        switch prediction.output {
        case .number(let value)?: doubles.append(value)
        case .label(_, let probabilities)?: doubles += probabilities.map { Array($0.values) } ?? []
        case nil: break
        }
        return doubles
    }

    static func text(_ random: inout some RandomNumberGenerator) -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{8}", "\u{C}", "\u{7F}", "é", "e\u{301}",
                      "日本", "🐟", "\u{2028}", "label", "{}", ":", ","]
        return (0..<(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    static func double(_ random: inout some RandomNumberGenerator) -> Double {
        switch random.next() % 6 {
        case 0: Double(bitPattern: random.next())  // anything, NaNs and infinities included
        case 1: Double(random.next() % 1000) / 8
        case 2: Double(random.next() % 10_000_000) / 1e6
        case 3: 1_764_000_000 + Double(random.next() % 1_000_000) / 1e6
        case 4: [0, -0.0, 1e16, 1e-5, 0.1, 100].randomElement(using: &random) ?? 0
        default: Double(Int64(bitPattern: random.next())) * 1e-9
        }
    }
}

/// The journal encoder as it was before the byte writer, kept as the
/// reference the byte-level one must match exactly.
enum ReferenceJournalEncoder {
    static func encode(_ predictions: [Prediction]) -> [UInt8] {
        var text = ""
        for prediction in predictions {
            let record = JournalRecord(prediction)
            text += #"{"deployment":"# + "\"" + record.deployment.uppercasedString + "\"" + #","request":"# + quoted(record.request)
            if let number = record.number { text += #","number":"# + "\(number)" }
            if let label = record.label { text += #","label":"# + quoted(label) }
            if let probabilities = record.probabilities {
                text += #","probabilities":{"#
                text += probabilities.keys.sorted().map { quoted($0) + ":" + "\(probabilities[$0] ?? 0)" }.joined(separator: ",")
                text += "}"
            }
            text += #","latency":"# + "\(record.latency)"
            if let status = record.status { text += #","status":"# + "\(status)" }
            text += #","at":"# + "\(record.at)" + "}\n"
        }
        return Array(text.utf8)
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
