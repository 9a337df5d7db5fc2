/// The errors domain code and stores throw. Only `SluiceAPI` turns them into
/// HTTP statuses and problem documents, in one place.
public enum DomainError: Error, Sendable, Equatable {
    /// The resource does not exist (or is not visible to the caller).
    case notFound(String)
    /// The request clashes with the current state (a duplicate name).
    case conflict(String)
    /// A field breaks a rule.
    case invalid(field: String, reason: String)
    /// Several fields break rules; reported together.
    case invalidFields([FieldViolation])
    /// A precondition (`If-Match`) does not hold.
    case preconditionFailed(String)
    /// No valid credentials were presented.
    case unauthorized(String)
    /// The caller is authenticated but needs at least `required`.
    case forbidden(required: Role)
    /// A dependency (the cloud, the database) cannot answer now; retry later.
    case unavailable(String)

    /// One field and what is wrong with it.
    public struct FieldViolation: Sendable, Equatable {
        /// The field, for example `name` or `gates.min_records`.
        public var field: String
        /// Why it is refused.
        public var reason: String

        /// Creates a violation.
        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }
}
