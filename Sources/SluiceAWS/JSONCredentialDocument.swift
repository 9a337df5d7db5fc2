import Foundation

/// The JSON credential document of the ECS container endpoint and of EC2
/// instance metadata: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`
/// (and IMDS's `"Code": "Success"`).
enum JSONCredentialDocument {
    static func parse(_ body: [UInt8], source: String) throws(CredentialError) -> AWSCredential {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw CredentialError(.invalidResponse, source: source, detail: "credentials are not a JSON object")
        }
        if let code = object["Code"] as? String, code != "Success" {
            throw CredentialError(.unavailable, source: source, detail: "credentials endpoint says \(code)")
        }
        guard let id = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String,
            !id.isEmpty, !secret.isEmpty
        else {
            throw CredentialError(.invalidResponse, source: source, detail: "no AccessKeyId/SecretAccessKey in the document")
        }
        return AWSCredential(
            accessKeyID: id, secretAccessKey: secret, sessionToken: object["Token"] as? String,
            expiration: (object["Expiration"] as? String).flatMap(ISO8601.parse))
    }
}
