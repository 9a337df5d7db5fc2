// Serves `GET /healthz` → 200 `{"status":"ok"}` (application/json) from a
// Hummingbird 2 `Application` with its defaults (the shared NIO event loop
// group, one thread per core; HTTP/1.1), the yardstick for SluiceHTTP in
// Benchmarks/run-http.sh.
//
//   hummingbird-bench-server [--host H] [--port P]
//
// Prints the bound port alone on a line, then serves until SIGTERM or
// SIGINT. Logs at .warning, so nothing is logged per request.
import Hummingbird
import Logging
import NIOCore

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

var host = "127.0.0.1"
var port = 8080
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch (flag, arguments.popFirst()) {
    case ("--host", let value?): host = value
    case ("--port", let value?) where Int(value) != nil: port = Int(value)!
    default:
        writeRaw("usage: hummingbird-bench-server [--host 127.0.0.1] [--port 8080]\n", to: 2)
        exit(64)
    }
}

/// Same soft-limit raise as the SluiceHTTP bench server, so both meet the
/// idle-connection test on equal terms.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
raiseOpenFileLimit()

/// The same bytes SluiceHTTP answers; built once, as `sluice serve` does.
let healthBody = ByteBuffer(string: #"{"status":"ok"}"#)

var logger = Logger(label: "hummingbird.bench")
logger.logLevel = .warning

let router = Router()
router.get("/healthz") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: healthBody))
}

let app = Application(
    router: router,
    configuration: .init(address: .hostname(host, port: port)),
    onServerRunning: { channel in
        writeRaw("\(channel.localAddress?.port ?? -1)\n", to: 1)
    },
    logger: logger
)
try await app.runService()
