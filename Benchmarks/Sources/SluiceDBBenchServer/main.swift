// The floor of what the database costs an API request, for
// Benchmarks/run-api.sh: `GET /select1` runs `SELECT 1` over a raw libpq
// connection (SluicePostgres's PGConnection, no pool, no auth, no
// middleware) and answers `{"one":1}`.
//
//   sluice-db-bench-server --database-url URL [--port P] [--connections N]
//
// Opens N connections at start (default 64, one per client of the load
// generator, so no request waits for one; a request that finds none free
// waits for the next). Prints the bound port alone on a line, then serves
// until SIGTERM or SIGINT.
import BenchSupport
import Foundation
import Logging
import SluiceHTTP
import SluicePostgres
import Synchronization

/// Command-line options; every default is stated in `usage`.
struct Options {
    var port: UInt16 = 0
    var databaseURL: String?
    var connections = 64

    static let usage = "usage: sluice-db-bench-server --database-url URL [--port 0] [--connections 64]"

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--database-url":
                options.databaseURL = rest.popFirst()
            case "--port":
                guard let value = rest.popFirst().flatMap({ UInt16($0) }) else { return nil }
                options.port = value
            case "--connections":
                guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else { return nil }
                options.connections = value
            default:
                return nil
            }
        }
        return options.databaseURL == nil ? nil : options
    }
}

/// Idle connections, lent one per request; waiters are served in order.
final class ConnectionStack: Sendable {
    private let state: Mutex<(idle: [PGConnection], waiters: [CheckedContinuation<PGConnection, Never>])>

    init(_ connections: [PGConnection]) {
        state = Mutex((connections, []))
    }

    func take() async -> PGConnection {
        await withCheckedContinuation { continuation in
            let connection: PGConnection? = state.withLock { state in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    func give(_ connection: PGConnection) {
        let waiter: CheckedContinuation<PGConnection, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }
}

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())), let url = options.databaseURL else {
    FileHandle.standardError.write(Data((Options.usage + "\n").utf8))
    exit(64)
}
signal(SIGPIPE, SIG_IGN)

var logger = Logger(label: "sluice.db-bench")
logger.logLevel = .warning

let configuration = PGConnectionConfiguration(url: url, applicationName: "sluice-db-bench")
var opened: [PGConnection] = []
for _ in 0..<options.connections {
    opened.append(try await PGConnection.connect(configuration: configuration, logger: logger))
}
let connections = ConnectionStack(opened)
let body = Array(#"{"one":1}"#.utf8)

var builder = RouterBuilder()
builder.on(.get, "/select1") { _, _ in
    let connection = await connections.take()
    defer { connections.give(connection) }
    let rows = try await connection.query("SELECT 1 AS one")
    guard rows.count == 1 else { throw HTTPError(.internalServerError, "SELECT 1 returned \(rows.count) rows") }
    return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: body)
}
let router = try builder.build(logger: logger)
let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: options.port), responder: router, logger: logger)

try await serveUntilSignal(server)
for connection in opened { await connection.close() }
