public import Foundation

/// An AWS access key: the ID, the secret, and for temporary credentials a
/// session token and an expiry.
///
/// Printing, interpolating, `debugPrint` and `dump` show the access key ID and
/// the expiry only; the secret and the token are always `<redacted>`.
public struct AWSCredential: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access key ID, for example `AKIDEXAMPLE`. Not secret: it appears in every `Authorization` header.
    public var accessKeyID: String
    /// The secret access key. Never printed.
    public var secretAccessKey: String
    /// The session token of temporary (STS) credentials, sent as `X-Amz-Security-Token`. Never printed.
    public var sessionToken: String?
    /// When temporary credentials stop working; `nil` for long-term keys.
    public var expiration: Date?

    /// Creates a credential; `sessionToken` and `expiration` default to `nil` (long-term keys).
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// The access key ID and expiry, with the secret and token redacted.
    public var description: String {
        let token = sessionToken == nil ? "nil" : "<redacted>"
        let expiry = expiration.map { "\($0)" } ?? "nil"
        return "AWSCredential(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, sessionToken: \(token), expiration: \(expiry))"
    }

    /// The same as `description`: the secret and token stay redacted.
    public var debugDescription: String { description }

    /// A mirror whose secret and token children are redacted, so `dump` does not reveal them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyID": accessKeyID,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "nil" : "<redacted>",
                "expiration": expiration as Any,
            ],
            displayStyle: .struct
        )
    }
}
