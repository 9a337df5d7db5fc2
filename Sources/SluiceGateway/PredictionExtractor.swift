import Foundation
public import SluiceDomain

/// Reads the prediction out of a model server's answer, for the ML Data
/// Store. Pure; `nil` when the answer has no recognisable output.
///
/// TorchServe handlers answer in the handler's own shape; the common ones
/// are understood: a number, a string label, `{"label": ..., "probabilities":
/// {...}}`, a map from label to probability (the argmax is the label), and
/// any of these wrapped in a one-element array (a batch of one). Open
/// Inference Protocol servers answer `{"outputs":[{"data":[...]}]}`; the
/// first element of the first output is the prediction.
public enum PredictionExtractor {
    /// The output in `body` for a server speaking `runtime`.
    public static func output(runtime: DeploymentRuntime, body: [UInt8]) -> PredictionOutput? {
        // The usual classifier answer, read without a JSON tree; the same
        // output as the full parse (PredictionExtractorTests).
        if runtime == .torchserve, let answer = JSONScanner.labelAndProbabilities(body) {
            guard IngestRules.isLabel(answer.label) else { return nil }
            return .label(answer.label, probabilities: validated(answer.probabilities))
        }
        return parsed(runtime: runtime, body: body)
    }

    /// The output in `body` through the full JSON parse.
    static func parsed(runtime: DeploymentRuntime, body: [UInt8]) -> PredictionOutput? {
        guard !body.isEmpty, let json = JSONScanner.parse(body) else {
            // TorchServe may answer a bare label as text/plain; a body that
            // starts like JSON and does not parse (`NaN`, a trailing comma,
            // cut short) has no output, never its own text as a label.
            return runtime == .torchserve && !looksLikeJSON(body) ? plainText(body) : nil
        }
        switch runtime {
        case .torchserve: return torchserve(json)
        case .oip: return oip(json)
        }
    }

    static func torchserve(_ json: JSONValue) -> PredictionOutput? {
        switch json {
        case .number(let value): return number(value)
        case .bool(let value): return .label(value ? "true" : "false", probabilities: nil)
        case .string(let text): return IngestRules.isLabel(text) ? .label(text, probabilities: nil) : nil
        case .array(let items): return items.count == 1 ? torchserve(items[0]) : nil
        case .object(let members): return object(members)
        case .null: return nil
        }
    }

    static func object(_ members: [String: JSONValue]) -> PredictionOutput? {
        if let label = members["label"] {
            let probabilities = members["probabilities"]?.objectValue.flatMap(probabilityMap)
            switch label {
            case .string(let text) where IngestRules.isLabel(text): return .label(text, probabilities: probabilities)
            case .number(let value): return number(value)
            default: return nil
            }
        }
        for key in ["prediction", "value", "output", "predictions"] {
            if let inner = members[key] { return torchserve(inner) }
        }
        // `{"cat": 0.9, "dog": 0.1}`: the label is the most probable class.
        guard let probabilities = probabilityMap(members),
              let best = probabilities.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })
        else { return nil }
        return .label(best.key, probabilities: probabilities)
    }

    static func probabilityMap(_ members: [String: JSONValue]) -> [String: Double]? {
        var map: [String: Double] = [:]
        for (key, value) in members {
            guard case .number(let p) = value else { return nil }
            map[key] = p
        }
        return validated(map)
    }

    /// `map` when it is a probability map: not empty, labels for keys,
    /// every value within 0...1.
    static func validated(_ map: [String: Double]) -> [String: Double]? {
        guard !map.isEmpty, map.allSatisfy({ $0.value >= 0 && $0.value <= 1 && IngestRules.isLabel($0.key) }) else { return nil }
        return map
    }

    static func oip(_ json: JSONValue) -> PredictionOutput? {
        guard case .array(let outputs)? = json.objectValue?["outputs"], let first = outputs.first?.objectValue,
              case .array(let data)? = first["data"], let value = data.first
        else { return nil }
        switch value {
        case .number(let value): return number(value)
        case .string(let text): return IngestRules.isLabel(text) ? .label(text, probabilities: nil) : nil
        case .bool(let flag): return .label(flag ? "true" : "false", probabilities: nil)
        default: return nil
        }
    }

    static func plainText(_ body: [UInt8]) -> PredictionOutput? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let value = Double(text) { return number(value) }
        return IngestRules.isLabel(text) ? .label(text, probabilities: nil) : nil
    }

    /// A numeric output the store can score (``IngestRules/isStorable(_:)``), else none.
    static func number(_ value: Double) -> PredictionOutput? {
        IngestRules.isStorable(value) ? .number(value) : nil
    }

    /// Whether the body's first byte past white space opens a JSON object,
    /// array or string.
    static func looksLikeJSON(_ body: [UInt8]) -> Bool {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"")
    }
}
