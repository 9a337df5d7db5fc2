public import Foundation

/// One version of a client's approved funds (DESIGN.md §4): only records of
/// these funds may reach the R&D Zone.
public struct ApprovedFunds: Sendable, Equatable, Encodable {
    /// The client, a resource name.
    public var client: String
    /// 1, 2, 3... per client; each `PUT` that changes the list adds one.
    public var version: Int
    /// The approved fund ids, in the order they were given.
    public var fundIDs: [String]
    /// Who stored this version.
    public var createdBy: String
    /// When.
    public var createdAt: Date

    /// Creates a record.
    public init(client: String, version: Int, fundIDs: [String], createdBy: String, createdAt: Date) {
        self.client = client
        self.version = version
        self.fundIDs = fundIDs
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case client, version, fundIDs = "fund_ids", createdAt = "created_at"
    }

    /// At most this many funds per list.
    public static let maxFunds = 100_000

    /// Checks a list: each id 1-64 printable ASCII characters without spaces
    /// or commas, no duplicates.
    public static func validate(fundIDs: [String]?) throws(DomainError) {
        var validation = Validation()
        guard let fundIDs = validation.require(fundIDs, "fund_ids") else { return try validation.throwIfInvalid() }
        validation.check(fundIDs.count <= maxFunds, "fund_ids", "must hold at most \(maxFunds) ids")
        var seen = Set<String>()
        for (index, id) in fundIDs.enumerated() where validation.violations.count < 20 {
            let printable = id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }
            validation.check((1...64).contains(id.utf8.count) && printable, "fund_ids[\(index)]",
                "must be 1-64 printable ASCII characters without spaces or commas")
            validation.check(seen.insert(id).inserted, "fund_ids[\(index)]", "repeats '\(id)'")
        }
        try validation.throwIfInvalid()
    }
}
