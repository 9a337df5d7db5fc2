import Foundation

/// The API's JSON encoder: the output of Foundation's `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` and RFC 3339 millisecond times
/// (decision 51), at a fraction of its cost. Every response body goes
/// through it, so a list of 20 resources no longer spends most of its CPU
/// in `Codable`'s generic machinery and date formatting.
///
/// Values build a small tree (objects and arrays by reference, as the
/// `Encoder` protocol lets containers be filled in any order), written once
/// at the end. `Date` is a string (``RFC3339``), `URL` its absolute string,
/// `Data` base64, `Decimal` its description, as `JSONEncoder` writes them.
enum APIJSONEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let node = try APIJSONTreeEncoder.node(for: value, parent: nil, key: nil)
        var output = JSONOutput()
        try output.write(node, path: [])
        return output.bytes
    }
}

/// The `Encoder` a value encodes itself into. Its coding path is kept as a
/// parent link and worked out only when an error needs it.
final class APIJSONTreeEncoder: Encoder {
    let parent: APIJSONTreeEncoder?
    let key: (any CodingKey)?
    var node: JSONNode?

    init(parent: APIJSONTreeEncoder?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var encoder: APIJSONTreeEncoder? = self
        while let current = encoder {
            if let key = current.key { path.append(key) }
            encoder = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let box)? = node { return KeyedEncodingContainer(APIJSONKeyedContainer(box: box, encoder: self)) }
        let box = JSONObjectBox()
        node = .object(box)
        return KeyedEncodingContainer(APIJSONKeyedContainer(box: box, encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let box)? = node { return APIJSONUnkeyedContainer(box: box, encoder: self) }
        let box = JSONArrayBox()
        node = .array(box)
        return APIJSONUnkeyedContainer(box: box, encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { APIJSONSingleValueContainer(encoder: self) }

    /// `value` as a node: the types `JSONEncoder` treats specially first,
    /// then whatever `value.encode(to:)` builds.
    static func node<T: Encodable>(for value: T, parent: APIJSONTreeEncoder?, key: (any CodingKey)?) throws -> JSONNode {
        if T.self == String.self, let text = value as? String { return .string(text) }
        if T.self == Date.self, let date = value as? Date { return .string(RFC3339.milliseconds(date)) }
        if T.self == URL.self, let url = value as? URL { return .string(url.absoluteString) }
        if T.self == Data.self, let data = value as? Data { return .string(data.base64EncodedString()) }
        if T.self == Decimal.self, let decimal = value as? Decimal { return .number(decimal.description) }
        let encoder = APIJSONTreeEncoder(parent: parent, key: key)
        try value.encode(to: encoder)
        return encoder.node ?? .object(JSONObjectBox())
    }
}

struct APIJSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: JSONObjectBox
    let encoder: APIJSONTreeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func add(_ node: JSONNode, _ key: Key) { box.members.append((key.stringValue, node)) }

    mutating func encodeNil(forKey key: Key) throws { add(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(.float(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(.unsigned(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        add(try APIJSONTreeEncoder.node(for: value, parent: encoder, key: key), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = JSONObjectBox()
        add(.object(nested), key)
        return KeyedEncodingContainer(
            APIJSONKeyedContainer<NestedKey>(box: nested, encoder: APIJSONTreeEncoder(parent: encoder, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = JSONArrayBox()
        add(.array(nested), key)
        return APIJSONUnkeyedContainer(box: nested, encoder: APIJSONTreeEncoder(parent: encoder, key: key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let key = APIJSONIndexKey(name)
        let child = APIJSONTreeEncoder(parent: encoder, key: key)
        box.members.append((name, .deferred(child)))
        return child
    }
}

struct APIJSONUnkeyedContainer: UnkeyedEncodingContainer {
    let box: JSONArrayBox
    let encoder: APIJSONTreeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { box.elements.count }

    private func add(_ node: JSONNode) { box.elements.append(node) }

    mutating func encodeNil() throws { add(.null) }
    mutating func encode(_ value: Bool) throws { add(.bool(value)) }
    mutating func encode(_ value: String) throws { add(.string(value)) }
    mutating func encode(_ value: Double) throws { add(.double(value)) }
    mutating func encode(_ value: Float) throws { add(.float(value)) }
    mutating func encode(_ value: Int) throws { add(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { add(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { add(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { add(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { add(.integer(value)) }
    mutating func encode(_ value: UInt) throws { add(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { add(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { add(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { add(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { add(.unsigned(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        add(try APIJSONTreeEncoder.node(for: value, parent: encoder, key: APIJSONIndexKey(index: count)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = JSONObjectBox()
        let key = APIJSONIndexKey(index: count)
        add(.object(nested))
        return KeyedEncodingContainer(
            APIJSONKeyedContainer<NestedKey>(box: nested, encoder: APIJSONTreeEncoder(parent: encoder, key: key)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = JSONArrayBox()
        let key = APIJSONIndexKey(index: count)
        add(.array(nested))
        return APIJSONUnkeyedContainer(box: nested, encoder: APIJSONTreeEncoder(parent: encoder, key: key))
    }

    mutating func superEncoder() -> any Encoder {
        let child = APIJSONTreeEncoder(parent: encoder, key: APIJSONIndexKey(index: count))
        add(.deferred(child))
        return child
    }
}

struct APIJSONSingleValueContainer: SingleValueEncodingContainer {
    let encoder: APIJSONTreeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ node: JSONNode) { encoder.node = node }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(.double(value)) }
    mutating func encode(_ value: Float) throws { set(.float(value)) }
    mutating func encode(_ value: Int) throws { set(.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { set(.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { set(.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { set(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { set(.integer(value)) }
    mutating func encode(_ value: UInt) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { set(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { set(.unsigned(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        set(try APIJSONTreeEncoder.node(for: value, parent: encoder.parent, key: encoder.key))
    }
}

/// Keys of array elements and super encoders in coding paths.
struct APIJSONIndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }

    init?(intValue: Int) { self.init(index: intValue) }
}
