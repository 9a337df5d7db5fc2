public import Logging
import SluiceDomain
public import SluiceHTTPClient

/// Probes every routed instance's health route at a fixed interval:
/// TorchServe's `GET /ping`, the Open Inference Protocol's
/// `GET /v2/health/ready`. A 2xx marks the instance healthy, anything else
/// (or no answer within the probe timeout) unhealthy.
public struct HealthProber: Sendable {
    let routes: RouteTable
    let health: InstanceHealth
    let client: any HTTPClient
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    /// A prober over `routes`, reporting to `health`.
    public init(routes: RouteTable, health: InstanceHealth, client: any HTTPClient, interval: Duration, timeout: Duration, logger: Logger) {
        self.routes = routes
        self.health = health
        self.client = client
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await probeAll()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// One round: every instance at once.
    public func probeAll() async {
        let instances = routes.instances
        health.retain(only: Set(instances.keys))
        await withTaskGroup(of: Void.self) { group in
            for (url, runtime) in instances {
                group.addTask { [client, health, timeout, logger] in
                    let healthy: Bool
                    do {
                        let response = try await client.execute(
                            HTTPClientRequest(url: url + runtime.healthPath), timeout: timeout)
                        healthy = (200..<300).contains(response.status)
                    } catch {
                        healthy = false
                    }
                    if !healthy && !health.hasFailedProbe(url) {
                        logger.debug("instance failed its health probe", metadata: ["instance": "\(url)"])
                    }
                    health.recordProbe(url, healthy: healthy)
                }
            }
        }
    }
}
