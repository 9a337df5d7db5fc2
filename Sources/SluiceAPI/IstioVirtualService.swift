import Foundation
import SluiceDomain

/// A routing document as an Istio `VirtualService` (networking.istio.io/v1),
/// in JSON, which `kubectl apply` reads as well as YAML: the live
/// deployment's addresses share the route, each stealth deployment's first
/// address is mirrored at 100%. A mesh discards mirrored responses, so with
/// Istio the stealth answers reach the ML Data Store only when the model
/// server reports them; `sluice gateway` records them itself.
struct IstioVirtualService: Encodable {
    let apiVersion = "networking.istio.io/v1"
    let kind = "VirtualService"
    let metadata: Metadata
    let spec: Spec

    struct Metadata: Encodable {
        let name: String
        let labels: [String: String]
    }

    struct Spec: Encodable {
        let hosts: [String]
        let http: [Route]
    }

    struct Route: Encodable {
        let name: String
        let route: [WeightedDestination]
        let mirrors: [Mirror]?
    }

    struct WeightedDestination: Encodable {
        let destination: Destination
        let weight: Int
    }

    struct Mirror: Encodable {
        let destination: Destination
        let percentage: Percentage
    }

    struct Percentage: Encodable {
        let value: Double
    }

    struct Destination: Encodable {
        let host: String
        let port: Port
    }

    struct Port: Encodable {
        let number: Int
    }

    init(_ document: RoutingDocument) {
        metadata = Metadata(
            name: "sluice-\(document.endpoint)",
            labels: ["app.kubernetes.io/managed-by": "sluice", "sluice/region": document.region, "sluice/endpoint": document.endpoint])
        let live = (document.live?.addresses ?? []).compactMap(Self.destination)
        var weights = live.map { _ in live.isEmpty ? 0 : 100 / live.count }
        if !weights.isEmpty { weights[0] += 100 - weights.reduce(0, +) }
        let mirrors = document.stealth.compactMap { target in
            target.addresses.first.flatMap(Self.destination).map { Mirror(destination: $0, percentage: Percentage(value: 100)) }
        }
        spec = Spec(hosts: [document.endpoint], http: [Route(
            name: "live", route: zip(live, weights).map { WeightedDestination(destination: $0, weight: $1) },
            mirrors: mirrors.isEmpty ? nil : mirrors)])
    }

    static func destination(_ address: String) -> Destination? {
        guard let components = URLComponents(string: address), let host = components.host else { return nil }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return Destination(host: host, port: Port(number: port))
    }
}
