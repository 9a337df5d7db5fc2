public import Logging

/// Routes requests by method and path pattern through the middleware chain
/// to a handler. Built with ``RouterBuilder``, then frozen.
///
/// Errors become responses here and nowhere else: an ``HTTPResponseError``
/// answers as itself; an error one of the builder's translators
/// (``RouterBuilder/translate(errors:)``) recognises answers as what it
/// returns; anything else is logged and answered 500 without detail.
public struct Router: HTTPResponder {
    private let trie: RouteTrie
    private let notFound: HTTPNext
    private let logger: Logger
    private let defaultBodyLimit: Int?
    private let translators: [HTTPErrorTranslator]
    /// Every route added to the builder, sorted by pattern then method:
    /// what a handler answers, without the HEAD and OPTIONS the router
    /// derives. Tests hold `docs/openapi.yaml` to this list.
    public let routes: [Route]

    /// Composes the middleware around every handler once, so a request
    /// costs no closure allocations for the chain.
    init(
        trie: RouteTrie, middleware: [any HTTPMiddleware], translators: [HTTPErrorTranslator], logger: Logger,
        defaultBodyLimit: Int?
    ) {
        func compose(_ handler: @escaping HTTPHandler) -> HTTPNext {
            // Each layer maps its own errors too, so the layers outside it
            // (request id, access log, metrics) always see a response.
            middleware.reversed().reduce(Self.mapping(handler, translators)) { next, middleware in
                Self.mapping({ request, context in try await middleware.handle(request, context: context, next: next) }, translators)
            }
        }
        trie.updateEndpoints { endpoint in
            var endpoint = endpoint
            endpoint.chains = endpoint.handlers.mapValues(compose)
            if endpoint.chains[.head] == nil, let get = endpoint.chains[.get] { endpoint.chains[.head] = get }
            endpoint.fallback = compose(Self.fallback(for: endpoint))
            return endpoint
        }
        self.trie = trie
        routes = trie.endpoints.flatMap { endpoint in endpoint.handlers.keys.map { Route(method: $0, pattern: endpoint.pattern) } }
            .sorted { ($0.pattern, $0.method.rawValue) < ($1.pattern, $1.method.rawValue) }
        self.notFound = compose { request, _ in
            // `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7).
            if request.method == .options && request.head.target == "*" {
                return HTTPResponse(status: .noContent, headers: ["Allow": Self.implemented.joined(separator: ", ")])
            }
            throw HTTPError(.notFound, "no route for \(request.head.path)")
        }
        self.logger = logger
        self.defaultBodyLimit = defaultBodyLimit
        self.translators = translators
    }

    public func maxBodySize(for head: HTTPRequestHead) -> Int? {
        route(head).maxBodySize
    }

    /// Matches the path once; `respond(to:)` reuses the match.
    public func route(_ head: HTTPRequestHead) -> HTTPRoutedHead {
        guard let (endpoint, parameters) = trie.match(head.path) else { return HTTPRoutedHead(maxBodySize: defaultBodyLimit) }
        var routed = HTTPRoutedHead(maxBodySize: endpoint.bodyLimits[head.method] ?? defaultBodyLimit)
        routed.route = RouteTrie.Match(path: head.path, endpoint: endpoint, parameters: parameters)
        return routed
    }

    /// The match kept on the request when it is for the request's path;
    /// otherwise (no body, or a request built elsewhere) a new one.
    private func match(_ request: HTTPRequest) -> (RouteTrie.Endpoint, RequestContext.Parameters)? {
        if let kept = request.route, kept.path == request.head.path { return (kept.endpoint, kept.parameters) }
        return trie.match(request.head.path)
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var context = RequestContext(logger: logger)
        let chain: HTTPNext
        if let (endpoint, parameters) = match(request) {
            context.parameters = parameters
            context.route = endpoint.pattern
            chain = endpoint.chains[request.method] ?? endpoint.fallback ?? notFound
        } else {
            chain = notFound
        }
        do {
            return try await chain(request, context)
        } catch {
            return Self.response(for: error, to: request, logger: logger, translators: translators)
        }
    }

    /// For methods without a handler (HEAD falls back to GET's chain when
    /// GET exists): OPTIONS lists the methods, anything else is 405 with `Allow`.
    private static func fallback(for endpoint: RouteTrie.Endpoint) -> HTTPHandler {
        let allow = allowed(endpoint)
        return { request, _ in
            if request.method == .options {
                return HTTPResponse(status: .noContent, headers: ["Allow": allow])
            }
            // RFC 9110 §15.6.2: a method the server does not implement at
            // all is 501; a known one this resource does not allow is 405.
            guard Self.implemented.contains(request.method.rawValue) || request.method == .trace || request.method == .connect else {
                throw HTTPError(.notImplemented, "\(request.method) is not implemented", headers: ["Allow": allow])
            }
            throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed here", headers: ["Allow": allow])
        }
    }

    /// The methods this router can route.
    private static let implemented = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]

    private static func allowed(_ endpoint: RouteTrie.Endpoint) -> String {
        var methods = Set(endpoint.handlers.keys.map(\.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        methods.insert("OPTIONS")
        return methods.sorted().joined(separator: ", ")
    }

    /// Wraps the handler so middleware sees a response even when it throws.
    private static func mapping(_ handler: @escaping HTTPHandler, _ translators: [HTTPErrorTranslator]) -> HTTPNext {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                return response(for: error, to: request, logger: context.logger, translators: translators)
            }
        }
    }

    /// The single place where errors become HTTP responses.
    static func response(for error: any Error, to request: HTTPRequest, logger: Logger, translators: [HTTPErrorTranslator]) -> HTTPResponse {
        if let error = error as? any HTTPResponseError { return error.response() }
        if error is CancellationError {
            return ProblemDocument.response(.serviceUnavailable, detail: "request cancelled")
        }
        for translate in translators {
            if let translated = translate(error, request, logger) { return translated.response() }
        }
        logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        return ProblemDocument.response(.internalServerError, detail: "internal error")
    }
}

/// A method and path pattern a ``Router`` has a handler for.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    /// The method, for example `GET`.
    public var method: HTTPMethod
    /// The pattern as registered, for example `/v1/models/{name}`.
    public var pattern: String

    /// `GET /v1/models/{name}`.
    public var description: String { "\(method.rawValue) \(pattern)" }
}

/// Collects routes and middleware, then builds a frozen ``Router``.
public struct RouterBuilder {
    private let trie = RouteTrie()
    private var middleware: [any HTTPMiddleware] = []
    private var translators: [HTTPErrorTranslator] = []
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

    /// Adds a translator for errors that are not ``HTTPResponseError``s,
    /// tried in the order added: a library's errors that this router's
    /// user knows how to answer (a database that cannot be reached, say).
    /// Errors no translator recognises are logged and answered 500.
    public mutating func translate(errors translator: @escaping HTTPErrorTranslator) {
        translators.append(translator)
    }

    /// Builds the router, or throws when a pattern was invalid or duplicated.
    public func build(logger: Logger = Logger(label: "sluice.http.router")) throws(HTTPError) -> Router {
        guard errors.isEmpty else {
            throw HTTPError(.internalServerError, "invalid routes: \(errors.joined(separator: "; "))")
        }
        return Router(trie: trie, middleware: middleware, translators: translators, logger: logger, defaultBodyLimit: defaultBodyLimit)
    }
}

/// Recognises an error a handler threw and gives the HTTP error to answer
/// with, or `nil` to leave it to the next translator. Gets the request
/// (whose method may decide the answer: a retry is safe for some) and its
/// logger, to record what it translated.
public typealias HTTPErrorTranslator = @Sendable (any Error, HTTPRequest, Logger) -> (any HTTPResponseError)?
