import Foundation
import SluiceDomain
import SluiceHTTP

extension RequestContext {
    /// The path parameter `parameter` as a resource name. A value that
    /// cannot be a name cannot name anything: 404, like a name not stored.
    func name(_ parameter: String, of kind: String) throws(DomainError) -> String {
        let value = parameters[parameter] ?? ""
        guard ResourceName.isValid(value) else { throw .notFound("\(kind) \(value) not found") }
        return value
    }

    /// The path parameter `parameter` as a UUID, or 404.
    func uuid(_ parameter: String, of kind: String) throws(DomainError) -> UUID {
        let value = parameters[parameter] ?? ""
        guard let id = UUID(uuidString: value) else { throw .notFound("\(kind) \(value) not found") }
        return id
    }

    /// The path parameter `parameter` as a version number, or 404.
    func version(_ parameter: String, of kind: String) throws(DomainError) -> Int {
        let value = parameters[parameter] ?? ""
        guard let version = Int(value), (1...Int(Int32.max)).contains(version) else {
            throw .notFound("\(kind) has no version \(value)")
        }
        return version
    }
}

/// Response headers of a created resource.
func createdHeaders(location: String, resourceVersion: Int64) -> HTTPHeaders {
    var headers = ETag.header(resourceVersion)
    headers.add(name: "Location", value: location)
    return headers
}
