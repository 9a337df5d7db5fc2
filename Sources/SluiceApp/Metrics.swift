import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The process's Prometheus registry. swift-metrics can be bootstrapped
/// once per process, so this happens once, however many servers a test starts.
enum SluiceMetrics {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The registry, bootstrapping swift-metrics on first use.
    static var registry: PrometheusCollectorRegistry {
        bootstrapped.withLock { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = [
                .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            current = registry
            return registry
        }
    }

    /// The Prometheus text exposition of every metric.
    static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
