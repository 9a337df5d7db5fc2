import Dispatch
public import SluiceHTTP
import SluiceSockets

#if canImport(Glibc)
import Glibc
#endif

/// Starts `server`, writes its bound port alone on a line to standard output
/// (unbuffered: the bench scripts wait for it), and serves until SIGTERM or
/// SIGINT start a graceful shutdown; returns when the server has stopped.
public func serveUntilSignal(_ server: HTTPServer) async throws {
    let sources = [SIGTERM, SIGINT].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
        source.setEventHandler { Task { await server.shutdown() } }
        source.resume()
        return source
    }
    let address = try await server.start()
    var line = "\(address.port)\n"
    line.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
    try await server.run()
    for source in sources { source.cancel() }
}
