import Foundation

/// A `Codable` value stored as `jsonb`: bind `\(PGJSON(settings))`, read
/// `row.decode("settings", as: PGJSON<Settings>.self).value` (or
/// `row.decodeJSON("settings", as: Settings.self)`).
///
/// Encoded with a plain `JSONEncoder` (default options: dates as seconds
/// since 2001, keys as the properties are named); decoded with `JSONDecoder`.
public struct PGJSON<Value> {
    /// The wrapped value.
    public var value: Value

    /// Wraps `value`.
    public init(_ value: Value) {
        self.value = value
    }
}

extension PGJSON: Sendable where Value: Sendable {}
extension PGJSON: Equatable where Value: Equatable {}

/// Bound as `jsonb` text.
extension PGJSON: PGEncodable where Value: Encodable {
    /// ``PGType/jsonb``.
    public static var pgType: PGType { .jsonb }
    /// The JSON text; an encoding failure becomes ``PGError/Code/encoding``.
    public func pgEncoded() throws -> PGBind.Value {
        do {
            return .text(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
        } catch {
            throw PGError(code: .encoding, message: "\(Value.self) could not be encoded as JSON")
        }
    }
}

/// Read from `json` or `jsonb` (or any text holding JSON).
extension PGJSON: PGDecodable where Value: Decodable {
    /// Decodes the cell's JSON text.
    public init(pgCell cell: PGCell) throws {
        do {
            self.value = try JSONDecoder().decode(Value.self, from: Data(try cell.requireBytes()))
        } catch let error as PGError {
            throw error
        } catch {
            throw cell.decodingError("JSON does not decode as \(Value.self)")
        }
    }
}
