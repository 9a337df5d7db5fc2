import Foundation
import SluiceHTTP

/// Strong entity tags from a resource's `resource_version` (DESIGN.md §3).
enum ETag {
    /// `"42"`.
    static func header(_ resourceVersion: Int64) -> HTTPHeaders {
        ["ETag": "\"\(resourceVersion)\""]
    }

    /// The version an `If-Match` field asks for: `nil` when the field is
    /// absent or `*` (any current representation). A weak or malformed tag
    /// can never match (RFC 9110 §13.1.1 uses the strong comparison), so it
    /// becomes a version no row has and the store answers 412.
    static func ifMatch(_ headers: HTTPHeaders) -> Int64? {
        let values = headers.values(for: "If-Match").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !values.isEmpty, !values.contains("*") else { return nil }
        guard values.count == 1, let tag = values.first, tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 3,
            let version = Int64(tag.dropFirst().dropLast())
        else { return -1 }
        return version
    }
}
