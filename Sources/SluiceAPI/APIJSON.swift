import Foundation
import SluiceDomain
import SluiceHTTP

/// JSON in and out of the API (DESIGN.md §3): `snake_case` keys spelled out
/// by each type's `CodingKeys` (never a key strategy, which would also
/// rewrite the keys of free-form objects such as `parameters`), RFC 3339
/// UTC times with milliseconds. A body that is not JSON is a 400; JSON of the
/// wrong shape, an unknown field or a NUL in a string is a 422.
enum APIJSON {
    /// Decodes a request body as `T`, refusing fields `T` does not know.
    static func decode<T: APIRequestBody>(_ type: T.Type, from body: [UInt8]) throws -> T {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw APIProblem(.badRequest, detail: "the body is not valid JSON")
        }
        guard let members = object as? [String: Any] else {
            throw DomainError.invalid(field: "body", reason: "must be a JSON object")
        }
        var validation = Validation()
        checkFields(members, allowed: T.fields, path: "", into: &validation)
        if containsEscapedNUL(body) { validation.add("body", "strings must not contain NUL (\\u0000)") }
        try validation.throwIfInvalid()
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw problem(for: error)
        }
    }

    /// A response with `value` as JSON.
    static func response<T: Encodable>(_ status: HTTPStatus, _ value: T, headers: HTTPHeaders = [:]) throws -> HTTPResponse {
        var all = headers
        all.replaceOrAdd(name: "Content-Type", value: "application/json")
        return HTTPResponse(status: status, headers: all, body: try encode(value))
    }

    /// `value` as JSON bytes.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try APIJSONEncoder.encode(value)
    }

    /// `2026-11-27T18:09:32.123Z`.
    static func timestamp(_ date: Date) -> String {
        RFC3339.milliseconds(date)
    }

    /// Records every member of `object` that `allowed` does not list.
    /// `allowed` names fields as paths: `kubeflow.pipeline_id`; `parameters.*`
    /// accepts anything below `parameters`.
    static func checkFields(_ object: [String: Any], allowed: Set<String>, path: String, into validation: inout Validation) {
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            let field = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(field) || allowed.contains("\(field).*") else {
                validation.add(field, "is not a known field")
                continue
            }
            if allowed.contains("\(field).*") { continue }
            if let nested = value as? [String: Any], allowed.contains(where: { $0.hasPrefix(field + ".") }) {
                checkFields(nested, allowed: allowed, path: field, into: &validation)
            }
        }
    }

    /// Whether the raw JSON holds the escape `\u0000` (PostgreSQL text and
    /// `jsonb` cannot store NUL). An escaped backslash before `u0000` is text.
    static func containsEscapedNUL(_ body: [UInt8]) -> Bool {
        let pattern = Array("u0000".utf8)
        var index = 0
        while index < body.count {
            if body[index] == UInt8(ascii: "\\"), index + 1 < body.count {
                if body[index + 1] == UInt8(ascii: "u"), index + 5 < body.count,
                    Array(body[(index + 1)...(index + 5)]) == pattern {
                    return true
                }
                index += 2
                continue
            }
            index += 1
        }
        return false
    }

    static func problem(for error: DecodingError) -> any Error {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // JSONSerialization accepted the body, so it is JSON: the decoder
            // refused a value without naming it (1.5 or 1e300 for an integer).
            return DomainError.invalid(field: "body", reason: "holds a value of the wrong type or out of range: \(context.debugDescription)")
        case .dataCorrupted(let context):
            return DomainError.invalid(field: path(context.codingPath), reason: "has an invalid value")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return DomainError.invalid(field: "body", reason: "must be a JSON object") }
            return DomainError.invalid(field: path(context.codingPath), reason: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return DomainError.invalid(field: path(context.codingPath), reason: "must be \(describe(type))")
        case .keyNotFound(let key, let context):
            return DomainError.invalid(field: path(context.codingPath + [key]), reason: "is required")
        @unknown default:
            return APIProblem(.badRequest, detail: "the body could not be read")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        let path = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        return path.isEmpty ? "body" : path
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [String].Type: "an array of strings"
        default: "of another type"
        }
    }
}

/// A request body: `Decodable`, with the fields it accepts listed so that
/// a misspelt field is a 422 rather than silently ignored.
protocol APIRequestBody: Decodable {
    /// Accepted field paths (`kubeflow.pipeline_id`; `parameters.*` for free-form).
    static var fields: Set<String> { get }
}
