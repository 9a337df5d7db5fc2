import Foundation
import SluiceHTTP

/// `?limit=` (default 50, 1-500) and `?page_token=` of a list (DESIGN.md §3).
/// The page token is opaque to clients: base64url of the last item's id.
struct PageRequest {
    static let defaultLimit = 50
    static let maxLimit = 500

    var limit: Int
    var after: UUID?

    init(query: String?) throws(APIProblem) {
        let parameters = QueryParameters(query)
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else {
                throw APIProblem(
                    .badRequest, detail: "limit must be an integer from 1 to \(Self.maxLimit)",
                    errors: [.init(field: "limit", message: "must be an integer from 1 to \(Self.maxLimit)")])
            }
            self.limit = limit
        } else {
            limit = Self.defaultLimit
        }
        if let token = parameters["page_token"], !token.isEmpty {
            guard let id = Self.decode(token) else {
                throw APIProblem(
                    .badRequest, detail: "page_token is not one this server issued",
                    errors: [.init(field: "page_token", message: "is not a valid page token")])
            }
            after = id
        }
    }

    /// The token that continues after `id`.
    static func encode(_ id: UUID) -> String {
        Data(id.uuidString.lowercased().utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) -> UUID? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return UUID(uuidString: String(decoding: data, as: UTF8.self))
    }
}

/// `{"items":[...],"next_page_token":"..."|null}`.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextPageToken
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present: `null` on the last page.
        try container.encode(nextPageToken, forKey: .nextPageToken)
    }
}
