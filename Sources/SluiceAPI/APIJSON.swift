import Foundation
import SluiceDomain
import SluiceHTTP

/// JSON in and out of the API: `snake_case` keys, RFC 3339 UTC times with
/// milliseconds; a body that is not JSON is a 400, JSON of the wrong shape a 422.
enum APIJSON {
    /// Decodes a request body as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw problem(for: error)
        }
    }

    /// A response with `value` as JSON.
    static func response<T: Encodable>(_ status: HTTPStatus, _ value: T) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(try encoder.encode(value)))
    }

    /// `2026-11-27T18:09:32.123Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func problem(for error: DecodingError) -> any Error {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIProblem(.badRequest, detail: "the body is not valid JSON")
        case .dataCorrupted(let context):
            return DomainError.invalid(field: path(context.codingPath), reason: "has an invalid value")
        case .typeMismatch(let type, let context):
            // Valid JSON of the wrong shape (a top-level array too) is 422, not 400.
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
        let path = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue) }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        return path.isEmpty ? "body" : path
    }

    private static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of another type"
        }
    }
}
