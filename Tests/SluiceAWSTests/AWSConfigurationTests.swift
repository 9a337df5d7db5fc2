import Foundation
import SluiceAWS
import Testing

/// Region and endpoint resolution as the SDKs define it.
@Suite("AWS configuration")
struct AWSConfigurationTests {
    @Test func serviceSpecificEndpoint_winsOverTheGlobalOne() throws {
        let configuration = try AWSConfiguration(environment: [
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000/", "HOME": "/nonexistent",
        ])
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.endpoint(for: "s3").baseURL == "http://127.0.0.1:9000")
        #expect(configuration.endpoint(for: "ec2").baseURL == "http://127.0.0.1:5000")
        #expect(configuration.endpoint(for: "ecr").baseURL == "http://127.0.0.1:5000")
        #expect(configuration.endpoint(for: "s3").usesPathStyle)
    }

    @Test func withoutOverrides_regionalAWSEndpoints() throws {
        let configuration = try AWSConfiguration(environment: ["AWS_DEFAULT_REGION": "ap-southeast-2", "HOME": "/nonexistent"])
        #expect(configuration.endpoint(for: "s3").baseURL == "https://s3.ap-southeast-2.amazonaws.com")
        #expect(configuration.endpoint(for: "ec2").baseURL == "https://ec2.ap-southeast-2.amazonaws.com")
        #expect(configuration.endpoint(for: "ecr").baseURL == "https://api.ecr.ap-southeast-2.amazonaws.com")
        #expect(!configuration.endpoint(for: "s3").usesPathStyle)
        let china = try AWSConfiguration(environment: ["AWS_REGION": "cn-north-1", "HOME": "/nonexistent"])
        #expect(china.endpoint(for: "sts").host == "sts.cn-north-1.amazonaws.com.cn")
    }

    @Test func ignoreConfiguredEndpoints_dropsTheOverrides() throws {
        let configuration = try AWSConfiguration(environment: [
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "HOME": "/nonexistent",
        ])
        #expect(configuration.endpoint(for: "ec2").host == "ec2.us-east-1.amazonaws.com")
    }

    @Test(arguments: [
        (["HOME": "/nonexistent"], "AWS_REGION"),
        (["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_EC2": "localhost:5000", "HOME": "/nonexistent"], "AWS_ENDPOINT_URL_EC2"),
        (["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "ftp://host", "HOME": "/nonexistent"], "AWS_ENDPOINT_URL"),
    ])
    func badConfiguration_namesTheVariable(environment: [String: String], variable: String) {
        let error = #expect(throws: CredentialError.self) { try AWSConfiguration(environment: environment) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.detail.hasPrefix(variable) == true)
    }

    @Test func s3Addressing_virtualHostedOnAWS_pathStyleWhenOverridden() async throws {
        let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: "AKID", secretAccessKey: "secret"))
        let recorder = RecordingHTTPClient()
        let aws = S3Client(configuration: AWSConfiguration(region: "eu-west-1"), credentials: credentials, http: recorder)
        _ = try? await aws.headObject(bucket: "my-bucket", key: "a b/ü+.csv")
        _ = try? await aws.headObject(bucket: "dotted.bucket", key: "k")
        let local = S3Client(
            configuration: try AWSConfiguration(environment: ["AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "HOME": "/nonexistent"]),
            credentials: credentials, http: recorder)
        _ = try? await local.headObject(bucket: "my-bucket", key: "a b/ü+.csv")
        #expect(recorder.urls == [
            "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/%C3%BC%2B.csv",
            "https://s3.eu-west-1.amazonaws.com/dotted.bucket/k",
            "http://127.0.0.1:9000/my-bucket/a%20b/%C3%BC%2B.csv",
        ])
    }
}
