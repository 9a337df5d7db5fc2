import Foundation
import SluiceHTTPClient

extension AWSError {
    /// The error in a non-2xx response of `service`. Reads, in this order:
    /// an S3 REST-XML body (`<Error><Code>`), an EC2 Query body
    /// (`<Response><Errors><Error><Code>`), other Query services
    /// (`<ErrorResponse><Error><Code>`), a JSON 1.1 body (`__type`, with any
    /// `namespace#` prefix dropped, and `message`/`Message`), the
    /// `x-amzn-ErrorType` header; otherwise the status names the code.
    package static func parse(service: String, status: Int, headers: [(String, String)], body: [UInt8]) -> AWSError {
        let head = HTTPClientResponseHead(status: status, headers: headers)
        var error = AWSError(
            service: service, code: codeForStatus(status),
            requestID: head.header("x-amz-request-id") ?? head.header("x-amzn-RequestId"), status: status)
        let first = body.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        if first == UInt8(ascii: "<"), let tree = try? XMLTree.parse(body) {
            let element = tree.name == "Error" ? tree : (tree.child("Errors")?.child("Error") ?? tree.child("Error"))
            if let element {
                if let code = element.value("Code"), !code.isEmpty { error.code = code }
                error.message = element.value("Message") ?? ""
            }
            if let id = tree.value("RequestId") ?? tree.value("RequestID") ?? element?.value("RequestId") {
                error.requestID = id
            }
        } else if first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        {
            if let type = (object["__type"] ?? object["code"] ?? object["Code"]) as? String, !type.isEmpty {
                error.code = shortCode(type)
            }
            error.message = (object["message"] ?? object["Message"]) as? String ?? ""
        }
        if error.code == codeForStatus(status), let type = head.header("x-amzn-ErrorType"), !type.isEmpty {
            error.code = shortCode(type)
        }
        return error
    }

    /// `aws.protocoltests#FooError:http://...` → `FooError`.
    private static func shortCode(_ type: String) -> String {
        let afterHash = type.split(separator: "#").last.map(String.init) ?? type
        return afterHash.split(separator: ":").first.map(String.init) ?? afterHash
    }
}
