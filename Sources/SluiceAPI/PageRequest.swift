import Foundation
import SluiceDomain
import SluiceHTTP

/// `?limit=` (default 50, 1-500) and `?page_token=` of a list (DESIGN.md §3).
/// The page token is opaque to clients: base64url of the store's cursor.
struct PageRequest {
    static let defaultLimit = 50
    static let maxLimit = 500

    var limit: Int
    var after: String?

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
            guard let cursor = Self.decode(token) else { throw Self.invalidToken }
            after = cursor
        }
    }

    /// The query a store takes.
    var query: PageQuery { PageQuery(limit: limit, after: after) }

    static let invalidToken = APIProblem(
        .badRequest, detail: "page_token is not one this server issued",
        errors: [.init(field: "page_token", message: "is not a valid page token")])

    /// The token that continues after `cursor`.
    static func encode(_ cursor: String) -> String {
        let base64 = Data(("c1:" + cursor).utf8).base64EncodedString().utf8
        return String(decoding: base64.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }, as: UTF8.self)
    }

    static func decode(_ token: String) -> String? {
        guard token.utf8.count <= 512 else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("c1:"), !text.contains("\u{0}")
        else { return nil }
        return String(text.dropFirst(3))
    }
}

/// `{"items":[...],"next_page_token":"..."|null}`.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextPageToken = "next_page_token"
    }

    /// A page of a store's list.
    init(items: [Item], nextPageToken: String?) {
        self.items = items
        self.nextPageToken = nextPageToken
    }

    /// The API form of a store's page.
    init(_ page: ResourcePage<Item>) where Item: Sendable {
        self.init(items: page.items, nextPageToken: page.next.map(PageRequest.encode))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Always present: `null` on the last page.
        try container.encode(nextPageToken, forKey: .nextPageToken)
    }
}
