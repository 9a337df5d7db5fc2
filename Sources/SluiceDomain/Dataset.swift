public import Foundation

/// A dataset: where a client's production data is copied from (Staging
/// Zone) and to (R&D Zone), and which column names the fund (DESIGN.md §4).
public struct Dataset: Sendable, Equatable, Encodable {
    public var id: UUID
    public var name: String
    public var spec: DatasetSpec
    public var createdAt: Date
    public var updatedAt: Date
    /// Changes with every write; the resource's ETag.
    public var resourceVersion: Int64

    /// Creates a record.
    public init(id: UUID, name: String, spec: DatasetSpec, createdAt: Date, updatedAt: Date, resourceVersion: Int64) {
        self.id = id
        self.name = name
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resourceVersion = resourceVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, name, client, sourceURI = "source_uri", destinationURI = "destination_uri", format
        case fundColumn = "fund_column", gates, createdAt = "created_at", updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(spec.client, forKey: .client)
        try container.encode(spec.sourceURI, forKey: .sourceURI)
        try container.encode(spec.destinationURI, forKey: .destinationURI)
        try container.encode(spec.format.rawValue, forKey: .format)
        try container.encode(spec.fundColumn, forKey: .fundColumn)
        try container.encode(spec.gates, forKey: .gates)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What a client asks for when creating a dataset; validated.
public struct DatasetSpec: Sendable, Equatable {
    public var client: String
    public var sourceURI: String
    public var destinationURI: String
    public var format: DatasetFormat
    public var fundColumn: String
    public var gates: QualityGates?

    /// Creates a spec; see ``validate(name:client:sourceURI:destinationURI:format:fundColumn:gates:)``.
    public init(client: String, sourceURI: String, destinationURI: String, format: DatasetFormat, fundColumn: String, gates: QualityGates?) {
        self.client = client
        self.sourceURI = sourceURI
        self.destinationURI = destinationURI
        self.format = format
        self.fundColumn = fundColumn
        self.gates = gates
    }

    /// Every rule of a dataset at once. The two zones must not overlap: a
    /// destination inside the source (or the reverse) would copy unfiltered
    /// data over filtered data.
    public static func validate(
        name: String?, client: String?, sourceURI: String?, destinationURI: String?, format: String?,
        fundColumn: String?, gates: QualityGates?
    ) throws(DomainError) -> (String, DatasetSpec) {
        var validation = Validation()
        validation.name(name, "name")
        validation.name(client, "client")
        let source = validation.require(sourceURI, "source_uri").map { uri in
            let parsed = S3URI(uri)
            validation.check(parsed != nil, "source_uri", "must be an s3://bucket/prefix URI")
            return parsed
        } ?? nil
        let destination = validation.require(destinationURI, "destination_uri").map { uri in
            let parsed = S3URI(uri)
            validation.check(parsed != nil, "destination_uri", "must be an s3://bucket/prefix URI")
            return parsed
        } ?? nil
        if let source, let destination {
            validation.check(!source.overlaps(destination), "destination_uri", "must not overlap source_uri")
        }
        let parsedFormat = validation.require(format, "format").flatMap { value in
            let parsed = DatasetFormat(rawValue: value)
            validation.check(parsed != nil, "format", "must be one of csv, csv.gz, jsonl")
            return parsed
        }
        validation.text(fundColumn, "fund_column", max: 128)
        gates?.validate(into: &validation)
        try validation.throwIfInvalid()
        guard let name, let client, let sourceURI, let destinationURI, let parsedFormat, let fundColumn else {
            throw .invalid(field: "body", reason: "is incomplete")
        }
        return (name, DatasetSpec(client: client, sourceURI: sourceURI, destinationURI: destinationURI,
            format: parsedFormat, fundColumn: fundColumn, gates: gates))
    }
}

/// The record formats of DESIGN.md §4.
public enum DatasetFormat: String, Sendable, Equatable, CaseIterable, Codable {
    case csv
    case csvGzip = "csv.gz"
    case jsonl
}

/// Gates that turn a failing quality report into `quarantined`.
public struct QualityGates: Sendable, Equatable, Codable {
    public var requiredColumns: [String]?
    public var minRecords: Int?
    public var maxNullFraction: [String: Double]?
    public var maxDuplicateFraction: Double?

    /// Creates gates.
    public init(requiredColumns: [String]? = nil, minRecords: Int? = nil, maxNullFraction: [String: Double]? = nil, maxDuplicateFraction: Double? = nil) {
        self.requiredColumns = requiredColumns
        self.minRecords = minRecords
        self.maxNullFraction = maxNullFraction
        self.maxDuplicateFraction = maxDuplicateFraction
    }

    enum CodingKeys: String, CodingKey {
        case requiredColumns = "required_columns", minRecords = "min_records"
        case maxNullFraction = "max_null_fraction", maxDuplicateFraction = "max_duplicate_fraction"
    }

    func validate(into validation: inout Validation) {
        for (index, column) in (requiredColumns ?? []).enumerated() {
            validation.text(column, "gates.required_columns[\(index)]", max: 128)
        }
        if let minRecords { validation.check(minRecords >= 0, "gates.min_records", "must be 0 or more") }
        for (column, fraction) in maxNullFraction ?? [:] {
            validation.check((0...1).contains(fraction), "gates.max_null_fraction.\(column)", "must be from 0 to 1")
            validation.check(!column.isEmpty && column.count <= 128, "gates.max_null_fraction", "column names must be 1-128 characters")
        }
        if let maxDuplicateFraction {
            validation.check((0...1).contains(maxDuplicateFraction), "gates.max_duplicate_fraction", "must be from 0 to 1")
        }
    }
}
