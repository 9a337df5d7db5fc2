import Foundation
import SluiceRecords
import Testing

/// `CSVSplitter` and `LineSplitter` against RFC 4180's cases, fed in every
/// possible split of the input.
@Suite struct CSVSplitterTests {
    struct Split: Equatable {
        var bytes: [UInt8]
        var content: [UInt8]
        var line: Int
        var fields: [String]
        var malformed: Bool
    }

    static func split(_ text: String, cuts: [Int] = []) throws -> [Split] {
        let bytes = Array(text.utf8)
        var splitter = CSVSplitter()
        var out: [Split] = []
        let collect: (RecordView) -> Void = { record in
            let fields = (0..<record.fields.count).map { index in record.withField(index) { String(decoding: $0, as: UTF8.self) } }
            out.append(Split(
                bytes: Array(record.bytes), content: Array(record.content), line: record.line, fields: fields,
                malformed: record.malformed))
        }
        var start = 0
        for cut in cuts + [bytes.count] {
            try bytes[start..<cut].withUnsafeBytes { try splitter.feed($0, collect) }
            start = cut
        }
        try splitter.finish(collect)
        return out
    }

    static let sample = "id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\r\n\n2,Zoë,\r\n3,\"\",x"

    @Test func rfc4180_quotedCommasQuotesNewlines_crlfAndLf() throws {
        let records = try Self.split(Self.sample)
        #expect(records.map(\.fields) == [
            ["id", "name", "note"], ["1", "Smith, J", "said \"hi\"\nthen left"], ["2", "Zoë", ""], ["3", "", "x"],
        ])
        #expect(records.map(\.line) == [1, 2, 5, 6])
        #expect(records.allSatisfy { !$0.malformed })
        // Every byte but the empty line's is in exactly one record, in order.
        #expect(String(decoding: records.flatMap(\.bytes), as: UTF8.self) == Self.sample.replacingOccurrences(of: "\r\n\n2", with: "\r\n2"))
        #expect(String(decoding: records[1].bytes, as: UTF8.self) == "1,\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\r\n")
        #expect(String(decoding: records[1].content, as: UTF8.self) == "1,\"Smith, J\",\"said \"\"hi\"\"\nthen left\"")
        #expect(records[3].bytes == Array("3,\"\",x".utf8))
    }

    @Test func everySplitPoint_givesTheSameRecords() throws {
        let whole = try Self.split(Self.sample)
        for cut in 0...Self.sample.utf8.count {
            #expect(try Self.split(Self.sample, cuts: [cut]) == whole, "cut at \(cut)")
        }
        for first in stride(from: 0, through: Self.sample.utf8.count, by: 3) {
            for second in first...Self.sample.utf8.count {
                #expect(try Self.split(Self.sample, cuts: [first, second]) == whole)
            }
        }
    }

    @Test func malformedRecords_areFlagged_andEndAtTheNextTerminator() throws {
        let records = try Self.split("a,b\nx\"y,2\n\"q\"z,3\n\"open,4\nlast")
        #expect(records.map(\.malformed) == [false, true, true, true])
        #expect(records.map(\.line) == [1, 2, 3, 4])
        // The unclosed quote swallows the rest of the input.
        #expect(records[3].bytes == Array("\"open,4\nlast".utf8))
    }

    /// Classic Mac line ends (a CR alone) end records, as Python's `csv`
    /// and pandas read them (decision 79); a CR in quotes is data.
    static let crSample = "fund_id,x\rF1,a\rF2,\"b\r\"\r\r\"F3\"\rF4,c\r\nF5,\"d\"\r"

    @Test func bareCR_endsARecord_outsideQuotes() throws {
        let records = try Self.split(Self.crSample)
        #expect(records.map(\.fields) == [["fund_id", "x"], ["F1", "a"], ["F2", "b\r"], ["F3"], ["F4", "c"], ["F5", "d"]])
        #expect(records.map { String(decoding: $0.bytes, as: UTF8.self) }
            == ["fund_id,x\r", "F1,a\r", "F2,\"b\r\"\r", "\"F3\"\r", "F4,c\r\n", "F5,\"d\"\r"])
        #expect(records.map { String(decoding: $0.content, as: UTF8.self) }
            == ["fund_id,x", "F1,a", "F2,\"b\r\"", "\"F3\"", "F4,c", "F5,\"d\""])
        #expect(records.map(\.line) == [1, 2, 3, 5, 6, 7])
        #expect(records.allSatisfy { !$0.malformed })
        // A CR cut from the byte after it is decided when that byte arrives.
        for cut in 0...Self.crSample.utf8.count {
            #expect(try Self.split(Self.crSample, cuts: [cut]) == records, "cut at \(cut)")
        }
        // After a closing quote and garbage, a CR still ends the (malformed) record.
        let garbage = try Self.split("\"a\"x\rb\r")
        #expect(garbage.map(\.malformed) == [true, false])
        #expect(garbage.map(\.fields) == [["a"], ["b"]])
    }

    @Test func aRecordPastTheLimit_throws() throws {
        var splitter = CSVSplitter(maxRecordBytes: 16)
        let bytes = Array("\"never closed, and longer than sixteen bytes".utf8)
        #expect(throws: RecordsError.self) {
            try bytes.withUnsafeBytes { try splitter.feed($0) { _ in } }
        }
    }

    @Test func lineSplitter_splitsAtLF_dropsEmptyLines_keepsTheLastLine() throws {
        let text = Array("{\"a\":1}\r\n\n{\"a\":2}\n{\"a\":3}".utf8)
        for cut in 0...text.count {
            var splitter = LineSplitter()
            var lines: [(String, String, Int)] = []
            let collect: (RecordView) -> Void = {
                lines.append((String(decoding: $0.bytes, as: UTF8.self), String(decoding: $0.content, as: UTF8.self), $0.line))
            }
            try text[..<cut].withUnsafeBytes { try splitter.feed($0, collect) }
            try text[cut...].withUnsafeBytes { try splitter.feed($0, collect) }
            try splitter.finish(collect)
            #expect(lines.map(\.0) == ["{\"a\":1}\r\n", "{\"a\":2}\n", "{\"a\":3}"])
            #expect(lines.map(\.1) == ["{\"a\":1}", "{\"a\":2}", "{\"a\":3}"])
            #expect(lines.map(\.2) == [1, 3, 4])
        }
    }
}
