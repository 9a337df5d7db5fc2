import SluiceDomain
import SluiceRecords

extension DatasetReconciler {
    /// The quality report as stored and returned (`quality` of a version,
    /// docs/openapi.yaml `DatasetQuality`), before drift and gates.
    static func quality(_ filter: RecordFilter) -> JSONValue {
        let report = filter.profiler.report
        let records = Double(report.records)
        let columns: [JSONValue] = report.columns.map { column in
            var object: [String: JSONValue] = [
                "name": .string(column.name), "type": .string(column.type.rawValue), "nulls": .number(Double(column.nulls)),
                "null_fraction": .number(records > 0 ? Double(column.nulls) / records : 0),
                "distinct_estimate": .number(Double(column.distinctEstimate)),
            ]
            if let numeric = column.numeric {
                object["min"] = .number(numeric.min)
                object["max"] = .number(numeric.max)
                // Numbers near Double's limits can overflow the running sums:
                // null then, never a figure JSON cannot carry.
                object["mean"] = numeric.mean.isFinite ? .number(numeric.mean) : .null
                object["stddev"] = numeric.stddev.isFinite ? .number(numeric.stddev) : .null
            }
            if let temporal = column.temporal {
                object["min"] = .string(temporal.min)
                object["max"] = .string(temporal.max)
            }
            return .object(object)
        }
        let rejects: [JSONValue] = filter.rejects.map {
            .object(["object": .string($0.object), "line": .number(Double($0.line)), "reason": .string($0.reason)])
        }
        return .object([
            "records": .number(records),
            "columns": .array(columns),
            "columns_ignored": .array(report.columnsIgnored.map(JSONValue.string)),
            "distinct": .object([
                "method": .string("HyperLogLog, 2^14 registers over 64-bit MurmurHash3; linear counting when small"),
                "relative_standard_error": .number(HyperLogLog.standardError),
            ]),
            "duplicates": .object([
                "count": .number(Double(report.duplicates)),
                "fraction": .number(records > 0 ? Double(report.duplicates) / records : 0),
                "method": .string(report.duplicateMethod), "exact": .bool(report.duplicatesExact),
            ]),
            "rejected": .object([
                "count": .number(Double(filter.rejected)), "first": .array(rejects),
            ]),
        ])
    }
}
