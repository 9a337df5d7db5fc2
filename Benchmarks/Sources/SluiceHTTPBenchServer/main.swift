// Serves `GET /healthz` → 200 `{"status":"ok"}` (application/json) from
// SluiceHTTP, for Benchmarks/run-http.sh to measure against Hummingbird 2.
//
//   sluice-http-bench-server [--host H] [--port P] [--loops N]
//                            [--executor eventLoop|global] [--middleware]
//
// Prints the bound port alone on a line, then serves until SIGTERM or
// SIGINT. Nothing is logged per request.
import BenchSupport
import Dispatch
import Logging
import SluiceHTTP
import SluiceSockets

#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to a descriptor unbuffered (stdout for the port line the
/// script waits for, stderr for usage); avoids C's global `FILE *` streams,
/// which Swift 6 treats as shared mutable state.
func writeRaw(_ text: String, to fd: Int32) {
    var text = text
    text.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
}

/// Command-line options; every default is stated in `usage`.
struct Options {
    var host = "127.0.0.1"
    var port: UInt16 = 8080
    var loops = HTTPServerConfiguration.coreCount
    var executor: HTTPServerConfiguration.HandlerExecutor = .eventLoop
    var middleware = false

    static let usage = """
        usage: sluice-http-bench-server [--host 127.0.0.1] [--port 8080] [--loops <cores>]
                                        [--executor eventLoop|global] [--middleware]
        """

    /// Parses `arguments` (without the program name); `nil` on anything unknown.
    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--middleware":
                options.middleware = true
            case "--host":
                guard let value = rest.popFirst() else { return nil }
                options.host = value
            case "--port":
                guard let value = rest.popFirst().flatMap({ UInt16($0) }) else { return nil }
                options.port = value
            case "--loops":
                guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else { return nil }
                options.loops = value
            case "--executor":
                switch rest.popFirst() {
                case "eventLoop": options.executor = .eventLoop
                case "global": options.executor = .global
                default: return nil
                }
            default:
                return nil
            }
        }
        return options
    }
}

/// The same bytes `sluice serve` answers on `/healthz` (OpsController).
let healthBody: [UInt8] = Array(#"{"status":"ok"}"#.utf8)

/// Raises the soft open-file limit to the hard one, as `sluice serve` does,
/// so 10,000 idle clients are bounded by the server, not by 1,024 descriptors.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else {
    writeRaw(Options.usage + "\n", to: 2)
    exit(64)
}

signal(SIGPIPE, SIG_IGN)
raiseOpenFileLimit()

var logger = Logger(label: "sluice.bench")
logger.logLevel = .warning

var builder = RouterBuilder()
if options.middleware { builder.add(middleware: RequestIDMiddleware()) }
builder.on(.get, "/healthz") { _, _ in
    HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: healthBody)
}
let router = try builder.build(logger: logger)

var configuration = HTTPServerConfiguration(host: options.host, port: options.port)
configuration.eventLoopCount = options.loops
configuration.handlerExecutor = options.executor
let server = HTTPServer(configuration: configuration, responder: router, logger: logger)

try await serveUntilSignal(server)
