public import SluiceDomain
import Synchronization

/// The gateway's copy of every endpoint's routing document, replaced whole
/// on each reload. Readers never wait on the database: a lookup is a
/// dictionary read under a lock.
public final class RouteTable: Sendable {
    private let state = Mutex<(documents: [String: RoutingDocument], loaded: Bool)>(([:], false))

    /// An empty table; ``isLoaded`` is false until the first ``replace(_:)``.
    public init() {}

    /// Replaces every document.
    public func replace(_ documents: [RoutingDocument]) {
        var table: [String: RoutingDocument] = [:]
        for document in documents { table[Self.key(document.region, document.endpoint)] = document }
        state.withLock { $0 = (table, true) }
    }

    /// The document of one endpoint, if it has any deployment.
    public func document(region: String, endpoint: String) -> RoutingDocument? {
        state.withLock { $0.documents[Self.key(region, endpoint)] }
    }

    /// Whether routes were loaded at least once.
    public var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Every document.
    public var documents: [RoutingDocument] { state.withLock { Array($0.documents.values) } }

    /// Every instance address with the runtime it speaks, for health probes.
    public var instances: [String: DeploymentRuntime] {
        var result: [String: DeploymentRuntime] = [:]
        for document in documents {
            for target in [document.live].compactMap({ $0 }) + document.stealth {
                for address in target.addresses { result[InstanceHealth.baseURL(address)] = target.runtime }
            }
        }
        return result
    }

    static func key(_ region: String, _ endpoint: String) -> String { region + "/" + endpoint }
}
