import Foundation
import SluiceRecords
import Testing

/// `RecordFilter`: kept records byte for byte, rejects by line, the profile.
@Suite struct RecordFilterTests {
    static func run(
        _ format: RecordFilter.Format, _ objects: [(String, [UInt8])], approved: [String] = ["F1", "F3"], chunk: Int = 7
    ) throws -> (RecordFilter, [[UInt8]]) {
        let filter = RecordFilter(format: format, fundColumn: "fund_id", approvedFunds: approved)
        var outputs: [[UInt8]] = []
        for (key, bytes) in objects {
            var out: [UInt8] = []
            try filter.begin(object: key)
            var start = 0
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                try bytes[start..<end].withUnsafeBytes { try filter.feed($0) { out += $0 } }
                start = end
            }
            _ = try filter.end { out += $0 }
            outputs.append(out)
        }
        return (filter, outputs)
    }

    @Test func csv_keepsApprovedRecordsByteForByte_withTheHeader() throws {
        let csv = "fund_id,price,day\r\nF1,1.5,2024-01-02\r\nF2,2,2024-01-03\r\n\"F3\",\"multi\nline\",2024-01-01\r\n,4,x\r\nF1,1.5,2024-01-02\r\nF1,\"bad\"x,1\r\nF1,5\r\n"
        let (filter, outputs) = try Self.run(.csv, [("a.csv", Array(csv.utf8)), ("empty.csv", []), ("none.csv", Array("fund_id,price,day\nF9,1,2\n".utf8))])
        #expect(String(decoding: outputs[0], as: UTF8.self)
            == "fund_id,price,day\r\nF1,1.5,2024-01-02\r\n\"F3\",\"multi\nline\",2024-01-01\r\nF1,1.5,2024-01-02\r\n")
        #expect(outputs[1].isEmpty)
        #expect(String(decoding: outputs[2], as: UTF8.self) == "fund_id,price,day\n")
        #expect(filter.recordsIn == 8 && filter.recordsOut == 3 && filter.rejected == 3)
        #expect(filter.rejects.map(\.line) == [6, 8, 9])
        #expect(filter.rejects.map(\.object) == ["a.csv", "a.csv", "a.csv"])
        let report = filter.profiler.report
        #expect(report.records == 3 && report.duplicates == 1 && report.duplicatesExact)
        let price = try #require(report.columns.first { $0.name == "price" })
        #expect(price.type == .string && price.nulls == 0 && price.distinctEstimate == 2)
        let day = try #require(report.columns.first { $0.name == "day" })
        #expect(day.type == .date && day.temporal == ColumnReport.Temporal(min: "2024-01-01", max: "2024-01-02"))
    }

    @Test func csvGzip_inflatesFiltersAndDeflates() throws {
        let csv = Array("fund_id,v\nF1,1\nF2,2\nF3,3\n".utf8)
        let (filter, outputs) = try Self.run(.csvGzip, [("a.csv.gz", try CodecTests.gzip(csv))], chunk: 5)
        #expect(try CodecTests.gunzip(outputs[0], chunk: 3) == Array("fund_id,v\nF1,1\nF3,3\n".utf8))
        let v = try #require(filter.profiler.report.columns.first { $0.name == "v" })
        #expect(v.type == .integer && v.numeric?.mean == 2 && v.numeric?.min == 1 && v.numeric?.max == 3)
        #expect(abs((v.numeric?.stddev ?? 0) - 2.0.squareRoot()) < 1e-12)
    }

    @Test func csv_withoutTheFundColumn_throws() throws {
        #expect(throws: RecordsError.self) { _ = try Self.run(.csv, [("a.csv", Array("id,x\n1,2\n".utf8))]) }
    }

    /// A file with classic Mac line ends is filtered record by record, not
    /// copied whole as its header (decision 79).
    @Test func csv_withBareCRLineEnds_keepsOnlyApprovedRecords() throws {
        let csv = "fund_id,x\rF1,a\rF2,b\rF3,c\r"
        for chunk in [1, 4, 7, 64] {
            let (filter, outputs) = try Self.run(.csv, [("mac.csv", Array(csv.utf8))], chunk: chunk)
            #expect(String(decoding: outputs[0], as: UTF8.self) == "fund_id,x\rF1,a\rF3,c\r")
            #expect(filter.recordsIn == 3 && filter.recordsOut == 2 && filter.rejected == 0)
        }
    }

    @Test func csv_headerNamingTheFundColumnTwice_orMalformed_throws() throws {
        for header in ["fund_id,x,fund_id", "fund_id,\"x\"y"] {
            #expect {
                _ = try Self.run(.csv, [("a.csv", Array("\(header)\nF1,a,F2\n".utf8))])
            } throws: { error in
                (error as? RecordsError)?.code == .invalidHeader
            }
        }
    }

    @Test func csv_repeatedColumnName_isProfiledOnce() throws {
        let (filter, _) = try Self.run(.csv, [("a.csv", Array("a,a,fund_id\n1,,F1\n,2,F1\n".utf8))])
        let report = filter.profiler.report
        let a = try #require(report.columns.first { $0.name == "a" })
        #expect(report.columns.filter { $0.name == "a" }.count == 1)
        #expect(a.nulls == 1 && a.numeric?.min == 1 && a.numeric?.max == 1)
    }

    @Test func jsonl_keepsApprovedLines_rejectsBrokenOnes() throws {
        let lines = """
            {"fund_id":"F1","x":1,"when":"2024-01-01T00:00:00Z"}
            {"fund_id":"F2","x":2}
            {"fund_id":"F3","x":2.5,"extra":null}
            not json
            {"x":3}
            {"fund_id":null}
            {"fund_id":"F1","fund_id":"F3"}
            {"fund_id":"F1","x":"s","x":1}\r

            """
        let (filter, outputs) = try Self.run(.jsonl, [("a.jsonl", Array(lines.utf8))], chunk: 4)
        #expect(String(decoding: outputs[0], as: UTF8.self) == """
            {"fund_id":"F1","x":1,"when":"2024-01-01T00:00:00Z"}
            {"fund_id":"F3","x":2.5,"extra":null}
            {"fund_id":"F1","x":"s","x":1}\r

            """)
        #expect(filter.recordsIn == 8 && filter.recordsOut == 3 && filter.rejected == 4)
        #expect(filter.rejects.map(\.line) == [4, 5, 6, 7])
        let report = filter.profiler.report
        #expect(report.columns.map(\.name) == ["fund_id", "x", "when", "extra"])
        #expect(report.columns.map(\.type) == [.string, .string, .timestamp, .string])
        #expect(report.columns.map(\.nulls) == [0, 0, 2, 3])
    }
}
