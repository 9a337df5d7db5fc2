public import Foundation

/// A bearer token as stored: never its secret, which only the creator sees
/// once. Also the caller's identity once a request is authenticated.
public struct APIToken: Sendable, Equatable, CustomStringConvertible {
    /// The token's id.
    public var id: UUID
    /// Its resource name; the `actor` of the events it causes.
    public var name: String
    /// What it may do.
    public var role: Role
    /// When it was created.
    public var createdAt: Date
    /// When it was revoked; a revoked token never authenticates.
    public var revokedAt: Date?

    /// Creates a token record.
    public init(id: UUID, name: String, role: Role, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// `name (role)`: safe to log, carries no secret.
    public var description: String { "\(name) (\(role))" }

    /// The name of the token made at start from `SLUICE_ADMIN_TOKEN` or generated.
    public static let bootstrapName = "bootstrap-admin"

    /// A new secret: 32 bytes from the system's cryptographically secure
    /// generator (`getrandom` on Linux), base64url without padding (43 characters).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
