import Foundation
import SluiceRecords
import Testing

/// gzip through zlib, the JSON Lines scanner, value types and HyperLogLog.
@Suite struct CodecTests {
    static func gzip(_ bytes: [UInt8], blockSize: Int = 256 << 10) throws -> [UInt8] {
        let deflater = try GzipDeflater(blockSize: blockSize)
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try deflater.feed($0) { out += $0 } }
        try deflater.finish { out += $0 }
        return out
    }

    static func gunzip(_ bytes: [UInt8], chunk: Int) throws -> [UInt8] {
        let inflater = try GzipInflater(blockSize: 1000)
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try inflater.feed($0) { out += $0 } }
            start = end
        }
        try inflater.finish()
        return out
    }

    @Test func gzip_roundTrips_inAnyChunking_andReadsConcatenatedMembers() throws {
        var generator = SystemRandomNumberGenerator()
        let text = (0..<20_000).map { _ in UInt8.random(in: 97...106, using: &generator) }
        let compressed = try Self.gzip(text, blockSize: 512)
        for chunk in [1, 7, 4096, compressed.count] {
            #expect(try Self.gunzip(compressed, chunk: chunk) == text)
        }
        let two = try Self.gzip(Array("first\n".utf8)) + Self.gzip(Array("second\n".utf8))
        #expect(try Self.gunzip(two, chunk: 5) == Array("first\nsecond\n".utf8))
        #expect(try Self.gunzip([], chunk: 1) == [])
        #expect(try Self.gunzip(Self.gzip([]), chunk: 3) == [])
    }

    @Test func gzip_truncatedOrCorrupt_throws() throws {
        let compressed = try Self.gzip(Array(String(repeating: "abc,def\n", count: 1000).utf8))
        #expect(throws: RecordsError.self) { _ = try Self.gunzip(Array(compressed.dropLast(9)), chunk: 100) }
        var broken = compressed
        broken[20] ^= 0xFF
        broken[21] ^= 0xFF
        #expect(throws: RecordsError.self) { _ = try Self.gunzip(broken, chunk: 100) }
    }

    static func members(_ line: String) -> [String: (JSONLineScanner.Kind, String)]? {
        var members: [String: (JSONLineScanner.Kind, String)] = [:]
        let ok = Array(line.utf8).withUnsafeBytes { bytes in
            JSONLineScanner.scan(bytes) { key, kind, value in
                members[String(decoding: key, as: UTF8.self)] = (kind, String(decoding: value, as: UTF8.self))
            }
        }
        return ok ? members : nil
    }

    @Test func jsonScanner_readsTopLevelMembers_andRefusesWhatIsNotOneObject() throws {
        let members = try #require(Self.members(
            #" {"fund_id":"F\u00e9\"1","n":-1.5e3,"ok":true,"x":null,"nested":{"a":[1,{"b":"}"}]},"k\n":[]} "#))
        #expect(members["fund_id"]?.0 == .string && members["fund_id"]?.1 == "Fé\"1")
        #expect(members["n"]?.0 == .number && members["n"]?.1 == "-1.5e3")
        #expect(members["ok"]?.0 == .bool && members["x"]?.0 == .null)
        #expect(members["nested"]?.1 == #"{"a":[1,{"b":"}"}]}"#)
        #expect(members["k\n"]?.0 == .nested)
        #expect(Self.members("{\"emoji\":\"\\ud83d\\ude00\"}")?["emoji"]?.1 == "😀")
        for bad in [
            "", "[1]", "{", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1} x", "{\"a\":\"\\ud83d\"}", "{\"a\":tru}",
            "{\"a\":\"tab\there\"}", "{\"a\":[1,]}", "{\"a\":1}{\"b\":2}", String(repeating: "[", count: 70),
        ] {
            #expect(Self.members(bad) == nil, "\(bad)")
        }
        #expect(Self.members("{}")?.isEmpty == true)
    }

    static func type(_ text: String) -> ValueType {
        Array(text.utf8).withUnsafeBytes { ValueType.classify($0).0 }
    }

    @Test func valueTypes_followTheDocumentedPatterns() {
        for text in ["0", "-12", "+7", "9223372036854775807"] { #expect(Self.type(text) == .integer, "\(text)") }
        for text in ["1.5", "-.5", "5.", "1e9", "9223372036854775808", "2.5E-3"] { #expect(Self.type(text) == .decimal, "\(text)") }
        for text in ["true", "FALSE", "True"] { #expect(Self.type(text) == .boolean, "\(text)") }
        for text in ["2024-02-29", "1999-12-31"] { #expect(Self.type(text) == .date, "\(text)") }
        for text in ["2024-01-01T10:00:00Z", "2024-01-01 10:00:00", "2024-01-01T10:00:00.123+02:00", "2024-01-01T10:00:00-0530"] {
            #expect(Self.type(text) == .timestamp, "\(text)")
        }
        for text in ["2023-02-29", "2024-13-01", " 1", "1 ", "NaN", "inf", "yes", "F0001", "1.2.3", "e5", ".", "-"] {
            #expect(Self.type(text) == .string, "\(text)")
        }
    }

    @Test func hyperLogLog_isWithinThreeStandardErrors() {
        for count in [0, 1, 100, 5_000, 200_000] {
            var sketch = HyperLogLog()
            for value in 0..<count {
                var bytes = Array("value-\(value)".utf8)
                sketch.insert(hash: RecordHash(bytes).low)
                bytes.removeAll()
            }
            let error = abs(Double(sketch.estimate - count))
            #expect(error <= max(1, 3 * HyperLogLog.standardError * Double(count)), "\(count): \(sketch.estimate)")
        }
    }

    @Test func murmur3_matchesTheReferenceVectors() {
        // MurmurHash3_x64_128 with seed 0 (the `mmh3` package's hash128 of the same input, little-endian halves).
        #expect(RecordHash(Array("".utf8)) == RecordHash(low: 0, high: 0))
        let hello = RecordHash(Array("hello".utf8))
        #expect(hello.low == 0xcbd8_a7b3_41bd_9b02 && hello.high == 0x5b1e_906a_48ae_1d19)
        let fox = RecordHash(Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(fox.low == 0xe34b_bc7b_bc07_1b6c && fox.high == 0x7a43_3ca9_c49a_9347)
    }
}
