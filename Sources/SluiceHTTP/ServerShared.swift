import CoreMetrics
import Logging
import SluiceSockets
import Synchronization

/// State shared by every loop of one server: configuration, responder,
/// counters and the shutdown flag.
final class ServerShared: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let openConnections = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    let connectionGauge = Gauge(label: "http_open_connections")
    let protocolErrors: @Sendable (HTTPStatus) -> Void
    /// Called (on any loop) whenever a connection closes.
    let onClose: @Sendable () -> Void

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger,
         onClose: @escaping @Sendable () -> Void) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.onClose = onClose
        self.protocolErrors = { status in
            Counter(label: "http_protocol_errors_total", dimensions: [("status", String(status.code))]).increment()
        }
    }
}
