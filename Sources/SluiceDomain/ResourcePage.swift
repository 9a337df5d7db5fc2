/// One page of a keyset-ordered list: the items and, when more follow, the
/// cursor (opaque to clients) of the last item.
public struct ResourcePage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: String?

    /// A page.
    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }

    /// Cuts `fetched` (asked for `limit + 1` rows) to `limit`, taking the
    /// cursor from the last item kept when a row was left over.
    public init(fetched: [Item], limit: Int, cursor: (Item) -> String) {
        if fetched.count > limit {
            let kept = Array(fetched.prefix(limit))
            self.init(items: kept, next: kept.last.map(cursor))
        } else {
            self.init(items: fetched, next: nil)
        }
    }
}

/// What a list asks for: at most `limit` items after `after` (a cursor).
public struct PageQuery: Sendable, Equatable {
    public var limit: Int
    public var after: String?

    /// A query.
    public init(limit: Int, after: String?) {
        self.limit = limit
        self.after = after
    }
}
