public import SluiceDomain
import Synchronization

/// The gateway's copy of every endpoint's routing document, replaced whole
/// on each reload. Readers never wait on the database: a lookup is a
/// dictionary read under a lock. Each document is prepared for requests
/// (``PreparedRoute``) when it is loaded; an unchanged one keeps its
/// preparation across reloads.
public final class RouteTable: Sendable {
    /// Routes by region, then endpoint name: a lookup joins no strings.
    private let state = Mutex<(routes: [String: [String: PreparedRoute]], loaded: Bool)>(([:], false))

    /// An empty table; ``isLoaded`` is false until the first ``replace(_:)``.
    public init() {}

    /// Replaces every document.
    public func replace(_ documents: [RoutingDocument]) {
        let previous = state.withLock { $0.routes }
        var table: [String: [String: PreparedRoute]] = [:]
        for document in documents {
            let kept = previous[document.region]?[document.endpoint].flatMap { $0.document == document ? $0 : nil }
            table[document.region, default: [:]][document.endpoint] = kept ?? PreparedRoute(document)
        }
        state.withLock { $0 = (table, true) }
    }

    /// The document of one endpoint, if it has any deployment.
    public func document(region: String, endpoint: String) -> RoutingDocument? {
        route(region: region, endpoint: endpoint)?.document
    }

    /// The prepared route of one endpoint, if it has any deployment.
    func route(region: String, endpoint: String) -> PreparedRoute? {
        state.withLock { $0.routes[region]?[endpoint] }
    }

    /// Whether routes were loaded at least once.
    public var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Every document.
    public var documents: [RoutingDocument] {
        state.withLock { $0.routes.values.flatMap { $0.values.map(\.document) } }
    }

    /// Every instance (its base URL, as prepared) with the runtime it
    /// speaks, for health probes.
    public var instances: [String: DeploymentRuntime] {
        let routes = state.withLock { $0.routes.values.flatMap(\.values) }
        var result: [String: DeploymentRuntime] = [:]
        for route in routes {
            for target in [route.live].compactMap({ $0 }) + route.stealth {
                for instance in target.instances { result[instance] = target.target.runtime }
            }
        }
        return result
    }

    static func key(_ region: String, _ endpoint: String) -> String { region + "/" + endpoint }
}
