import Foundation
import SluiceAWS
import SluiceHTTPClient
import SluiceTesting
import Testing

/// Clients of every service pointed at the shared moto server (or at a
/// proxy in front of it), signing with its IAM user's key.
struct MotoClients {
    let moto: TestMoto
    let configuration: AWSConfiguration
    let credentials: StaticCredentialProvider
    let http: CurlHTTPClient
    let s3: S3Client
    let ec2: EC2Client
    let ecr: ECRClient

    /// Clients of the shared server; `port` sends them to a proxy on that port instead.
    static func make(
        port: UInt16? = nil, retryPolicy: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(30)
    ) async throws -> MotoClients {
        let moto = try await TestMoto.shared()
        let endpoint = try #require(AWSEndpoint(url: "http://127.0.0.1:\(port ?? moto.port)"))
        let configuration = AWSConfiguration(
            region: "us-east-1", endpointOverrides: ["s3": endpoint, "ec2": endpoint, "ecr": endpoint, "sts": endpoint])
        let credentials = StaticCredentialProvider(
            AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        let http = try CurlHTTPClient()
        func client(_ service: String) -> AWSServiceClient {
            AWSServiceClient(
                service: service, configuration: configuration, credentials: credentials, http: http,
                retryPolicy: retryPolicy, timeout: timeout)
        }
        return MotoClients(
            moto: moto, configuration: configuration, credentials: credentials, http: http,
            s3: S3Client(client: client("s3")), ec2: EC2Client(client: client("ec2")), ecr: ECRClient(client: client("ecr")))
    }

    /// A bucket of its own for one test.
    func makeBucket() async throws -> String {
        let name = "t-" + UUID().uuidString.prefix(13).lowercased()
        try await s3.createBucket(name)
        return name
    }
}

/// Bytes `0, 1, 2, ...` (mod 251, so no period aligns with a part), `count` of them.
func patternBytes(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 + seed) % 251) }
}
