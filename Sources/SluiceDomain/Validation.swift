/// Collects every field problem of a request, so a client learns all of
/// them from one 422 instead of one per attempt.
public struct Validation: Sendable {
    /// The problems found so far.
    public private(set) var violations: [DomainError.FieldViolation] = []

    /// No problems yet.
    public init() {}

    /// Records that `field` breaks `reason`.
    public mutating func add(_ field: String, _ reason: String) {
        violations.append(.init(field: field, reason: reason))
    }

    /// Records `reason` for `field` unless `condition` holds. Both texts
    /// are built only when it does not, so a check costs nothing on the
    /// path where input is valid (an ingest batch checks thousands).
    public mutating func check(_ condition: Bool, _ field: @autoclosure () -> String, _ reason: @autoclosure () -> String) {
        if !condition { add(field(), reason()) }
    }

    /// A required value, recording "is required" when it is `nil`.
    public mutating func require<T>(_ value: T?, _ field: String) -> T? {
        if value == nil { add(field, "is required") }
        return value
    }

    /// Checks a resource name (DESIGN.md §3).
    public mutating func name(_ value: String?, _ field: String) {
        guard let value = require(value, field) else { return }
        check(ResourceName.isValid(value), field, ResourceName.rule)
    }

    /// Checks free text: 1-`max` characters, no control characters.
    public mutating func text(_ value: String?, _ field: String, max: Int = 256) {
        guard let value = require(value, field) else { return }
        check(!value.isEmpty && value.count <= max, field, "must be 1-\(max) characters")
        check(!value.unicodeScalars.contains { $0.properties.generalCategory == .control }, field, "must not contain control characters")
    }

    /// Throws ``DomainError/invalidFields(_:)`` when anything was recorded.
    public func throwIfInvalid() throws(DomainError) {
        if !violations.isEmpty { throw .invalidFields(violations) }
    }
}
