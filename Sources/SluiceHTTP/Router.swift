public import Logging

/// Routes requests by method and path pattern through the middleware chain
/// to a handler. Built with ``RouterBuilder``, then frozen.
///
/// Errors become responses here and nowhere else: an ``HTTPResponseError``
/// answers as itself; anything else is logged and answered 500 without detail.
public struct Router: HTTPResponder {
    private let trie: RouteTrie
    private let middleware: [any HTTPMiddleware]
    private let logger: Logger
    private let defaultBodyLimit: Int?

    init(trie: RouteTrie, middleware: [any HTTPMiddleware], logger: Logger, defaultBodyLimit: Int?) {
        self.trie = trie
        self.middleware = middleware
        self.logger = logger
        self.defaultBodyLimit = defaultBodyLimit
    }

    public func maxBodySize(for head: HTTPRequestHead) -> Int? {
        guard let (endpoint, _) = trie.match(head.path) else { return defaultBodyLimit }
        return endpoint.bodyLimits[head.method] ?? defaultBodyLimit
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let matched = trie.match(request.head.path)
        var context = RequestContext(logger: logger)
        let handler: HTTPHandler
        if let (endpoint, parameters) = matched {
            context.parameters = parameters
            context.route = endpoint.pattern
            handler = Self.handler(for: request.method, at: endpoint)
        } else {
            handler = { _, _ in throw HTTPError(.notFound, "no route for \(request.head.path)") }
        }
        let chain = middleware.reversed().reduce(Self.mapping(handler, logger: logger)) { next, middleware in
            { request, context in try await middleware.handle(request, context: context, next: next) }
        }
        do {
            return try await chain(request, context)
        } catch {
            return Self.response(for: error, logger: logger)
        }
    }

    /// The handler for `method`; HEAD falls back to GET (the server drops the
    /// body), OPTIONS lists the methods, anything else is 405 with `Allow`.
    private static func handler(for method: HTTPMethod, at endpoint: RouteTrie.Endpoint) -> HTTPHandler {
        if let handler = endpoint.handlers[method] { return handler }
        if method == .head, let get = endpoint.handlers[.get] { return get }
        let allow = allowed(endpoint)
        if method == .options {
            return { _, _ in HTTPResponse(status: .noContent, headers: ["Allow": allow]) }
        }
        return { _, _ in
            throw HTTPError(.methodNotAllowed, "\(method) is not allowed here", headers: ["Allow": allow])
        }
    }

    private static func allowed(_ endpoint: RouteTrie.Endpoint) -> String {
        var methods = Set(endpoint.handlers.keys.map(\.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        methods.insert("OPTIONS")
        return methods.sorted().joined(separator: ", ")
    }

    /// Wraps the handler so middleware sees a response even when it throws.
    private static func mapping(_ handler: @escaping HTTPHandler, logger: Logger) -> HTTPNext {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                return response(for: error, logger: context.logger)
            }
        }
    }

    /// The single place where errors become HTTP responses.
    static func response(for error: any Error, logger: Logger) -> HTTPResponse {
        if let error = error as? any HTTPResponseError { return error.response() }
        if error is CancellationError {
            return ProblemDocument.response(.serviceUnavailable, detail: "request cancelled")
        }
        logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        return ProblemDocument.response(.internalServerError, detail: "internal error")
    }
}

/// Collects routes and middleware, then builds a frozen ``Router``.
public struct RouterBuilder {
    private let trie = RouteTrie()
    private var middleware: [any HTTPMiddleware] = []
    private var errors: [String] = []
    /// Body limit for routes that set none; `nil` uses the server's.
    public var defaultBodyLimit: Int?

    /// An empty builder.
    public init() {}

    /// Adds a route. `maxBodySize` overrides the default body limit for it.
    public mutating func on(_ method: HTTPMethod, _ pattern: String, maxBodySize: Int? = nil, handler: @escaping HTTPHandler) {
        do {
            try trie.insert(pattern: pattern, method: method, bodyLimit: maxBodySize, handler: handler)
        } catch {
            errors.append("\(error)")
        }
    }

    /// Adds middleware; the first added is the outermost.
    public mutating func add(middleware: any HTTPMiddleware) {
        self.middleware.append(middleware)
    }

    /// Builds the router, or throws when a pattern was invalid or duplicated.
    public func build(logger: Logger = Logger(label: "sluice.http.router")) throws(HTTPError) -> Router {
        guard errors.isEmpty else {
            throw HTTPError(.internalServerError, "invalid routes: \(errors.joined(separator: "; "))")
        }
        return Router(trie: trie, middleware: middleware, logger: logger, defaultBodyLimit: defaultBodyLimit)
    }
}
