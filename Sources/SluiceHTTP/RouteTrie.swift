/// Path patterns in a trie: literal segments first, then one `{parameter}`
/// per level. Built once, then only read.
struct RouteTrie: Sendable {
    struct Endpoint: Sendable {
        let pattern: String
        var handlers: [HTTPMethod: HTTPHandler] = [:]
        var bodyLimits: [HTTPMethod: Int] = [:]
        /// Middleware composed around each handler once, when the router is built.
        var chains: [HTTPMethod: HTTPNext] = [:]
        /// The composed chain for methods without a handler (405, OPTIONS).
        var fallback: HTTPNext?
    }

    /// A path's endpoint and decoded parameters, with the path they were
    /// matched for (a request whose path differs is matched again).
    struct Match: Sendable {
        let path: String
        let endpoint: Endpoint
        let parameters: RequestContext.Parameters
    }

    final class Node: @unchecked Sendable {
        // Mutated only while the router is built, then frozen.
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var endpoint: Endpoint?
    }

    enum PatternError: Error, Equatable {
        case invalid(String)
        case conflictingParameter(String)
        case duplicate(String)
    }

    let root = Node()

    func insert(pattern: String, method: HTTPMethod, bodyLimit: Int?, handler: @escaping HTTPHandler) throws(PatternError) {
        guard pattern.hasPrefix("/") else { throw .invalid(pattern) }
        var node = root
        for segment in Self.segments(pattern) {
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                let name = String(segment.dropFirst().dropLast())
                if let existing = node.parameter {
                    guard existing.name == name else { throw .conflictingParameter(pattern) }
                    node = existing.node
                } else {
                    let child = Node()
                    node.parameter = (name, child)
                    node = child
                }
            } else {
                guard !segment.contains("{"), !segment.contains("}") else { throw .invalid(pattern) }
                if let child = node.literals[String(segment)] {
                    node = child
                } else {
                    let child = Node()
                    node.literals[String(segment)] = child
                    node = child
                }
            }
        }
        var endpoint = node.endpoint ?? Endpoint(pattern: pattern)
        guard endpoint.handlers[method] == nil else { throw .duplicate("\(method) \(pattern)") }
        endpoint.handlers[method] = handler
        if let bodyLimit { endpoint.bodyLimits[method] = bodyLimit }
        node.endpoint = endpoint
    }

    /// Finds the endpoint for `path` (percent-encoded, no query), with its
    /// decoded parameters. `nil` when nothing matches or the path's percent
    /// encoding is broken.
    /// A literal segment wins over a parameter; when the literal branch
    /// leads nowhere, the parameter branch is tried (so `/a/new/y` finds
    /// `/a/{id}/y` even though `/a/new/x` exists).
    func match(_ path: String) -> (Endpoint, RequestContext.Parameters)? {
        var parameters = RequestContext.Parameters()
        guard let endpoint = Self.match(Self.segments(path)[...], at: root, &parameters) else { return nil }
        return (endpoint, parameters)
    }

    private static func match(_ segments: ArraySlice<Substring>, at node: Node, _ parameters: inout RequestContext.Parameters) -> Endpoint? {
        guard let segment = segments.first else { return node.endpoint }
        let rest = segments.dropFirst()
        if let child = node.literals[String(segment)], let found = match(rest, at: child, &parameters) {
            return found
        }
        guard let (name, child) = node.parameter, !segment.isEmpty, let value = percentDecode(segment) else { return nil }
        let saved = parameters
        parameters.set(name, value)
        if let found = match(rest, at: child, &parameters) { return found }
        parameters = saved
        return nil
    }

    /// Calls `body` with every endpoint, letting it replace the endpoint.
    func updateEndpoints(_ body: (Endpoint) -> Endpoint) {
        var stack = [root]
        while let node = stack.popLast() {
            if let endpoint = node.endpoint { node.endpoint = body(endpoint) }
            stack.append(contentsOf: node.literals.values)
            if let (_, child) = node.parameter { stack.append(child) }
        }
    }

    /// Every endpoint, in no particular order.
    var endpoints: [Endpoint] {
        var found: [Endpoint] = []
        var stack = [root]
        while let node = stack.popLast() {
            if let endpoint = node.endpoint { found.append(endpoint) }
            stack.append(contentsOf: node.literals.values)
            if let (_, child) = node.parameter { stack.append(child) }
        }
        return found
    }

    /// Segments of a path; one trailing slash is ignored.
    static func segments(_ path: String) -> [Substring] {
        var trimmed = Substring(path)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// Decodes %XX escapes; `nil` for malformed escapes or invalid UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let h = iterator.next().flatMap(HTTPSyntax.hexValue), let l = iterator.next().flatMap(HTTPSyntax.hexValue) else {
                    return nil
                }
                bytes.append(UInt8(h << 4 | l))
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
