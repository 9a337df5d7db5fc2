/// What a bearer token may do (DESIGN.md §3). Each role includes the ones
/// below it: `viewer < scientist < deployer < admin`.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Reads everything.
    case viewer
    /// Datasets, experiments, models and stealth deployments.
    case scientist
    /// All deployments and promotion.
    case deployer
    /// Tokens, approved funds, everything.
    case admin

    /// The position in the order of privilege.
    private var rank: Int {
        switch self {
        case .viewer: 0
        case .scientist: 1
        case .deployer: 2
        case .admin: 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Whether a caller with this role may do what `required` allows.
    public func satisfies(_ required: Role) -> Bool { self >= required }

    public var description: String { rawValue }
}
