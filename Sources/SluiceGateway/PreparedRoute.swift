import SluiceDomain

/// One endpoint's routing document made ready for requests when it is
/// loaded, so that a request builds no URL, header value or metric label:
/// those are made once per document, not once per call.
final class PreparedRoute: Sendable {
    let document: RoutingDocument
    /// `region/endpoint`, the metrics' endpoint label.
    let endpoint: String
    let live: PreparedTarget?
    let stealth: [PreparedTarget]
    let metrics: EndpointMetrics

    init(_ document: RoutingDocument) {
        self.document = document
        let endpoint = RouteTable.key(document.region, document.endpoint)
        self.endpoint = endpoint
        live = document.live.map { PreparedTarget($0, mode: "live", endpoint: endpoint) }
        stealth = document.stealth.map { PreparedTarget($0, mode: "stealth", endpoint: endpoint) }
        metrics = EndpointMetrics(endpoint: endpoint)
    }
}

/// A deployment of a route as calls need it.
final class PreparedTarget: Sendable {
    let target: RouteTarget
    /// `live` or `stealth`.
    let mode: String
    /// Each address as a base URL (``InstanceHealth/baseURL(_:)``), the key
    /// of its health, once each in the order of their first appearance.
    let instances: [String]
    /// The inference URL on each instance, in the order of ``instances``.
    let urls: [String]
    /// The deployment id and version as the live answer's headers carry them.
    let deploymentIDText: String
    let versionText: String
    let metrics: TargetMetrics

    init(_ target: RouteTarget, mode: String, endpoint: String) {
        self.target = target
        self.mode = mode
        // Two spellings of one address (`h:1`, `http://h:1/`) are one
        // instance: a retry after a refused connect must go elsewhere.
        var seen: Set<String> = []
        instances = target.addresses.map(InstanceHealth.baseURL).filter { seen.insert($0).inserted }
        let path = target.inferencePath
        urls = instances.map { $0 + path }
        deploymentIDText = target.deploymentID.lowercasedString
        versionText = String(target.version)
        metrics = TargetMetrics(endpoint: endpoint, deployment: target.name, mode: mode)
    }
}
