import Foundation
import SluiceAWS
import SluiceApp
import SluiceGateway
import Testing

@Suite struct ConfigurationTests {
    @Test func defaults_matchTheDesign() throws {
        let config = try SluiceConfiguration.fromEnvironment([:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.databaseURL == nil)
        #expect(config.workers)
        #expect(config.instanceHealthcheck)
        #expect(config.gatewayPort == 8081)
        #expect(config.databasePoolSize == 10)
        #expect(config.databaseWaitOnLoop)
        #expect(config.effectivePublicURL == "http://127.0.0.1:8080")
    }

    @Test func environment_isRead() throws {
        let config = try SluiceConfiguration.fromEnvironment([
            "SLUICE_HOST": "0.0.0.0", "SLUICE_PORT": "9000", "SLUICE_WORKERS": "off",
            "SLUICE_INSTANCE_HEALTHCHECK": "off", "SLUICE_DATABASE_URL": "postgres://u@h/db",
            "SLUICE_PUBLIC_URL": "https://sluice.example.com", "SLUICE_DATABASE_POOL_SIZE": "16",
        ])
        #expect(config.databasePoolSize == 16)
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 9000)
        #expect(!config.workers)
        #expect(!config.instanceHealthcheck)
        #expect(config.databaseURL == "postgres://u@h/db")
        #expect(config.effectivePublicURL == "https://sluice.example.com")
        #expect(try SluiceConfiguration.fromEnvironment(["SLUICE_KUBEFLOW_AUTH": "SigV4"]).kubeflowSigV4)
        #expect(try !SluiceConfiguration.fromEnvironment([:]).kubeflowSigV4)
        #expect(try !SluiceConfiguration.fromEnvironment(["SLUICE_DATABASE_WAIT": "queue"]).databaseWaitOnLoop)
        #expect(try SluiceConfiguration.fromEnvironment(["SLUICE_DATABASE_WAIT": "loop"]).databaseWaitOnLoop)
    }

    @Test func gatewayVariables_areRead() throws {
        let config = try SluiceConfiguration.fromEnvironment([
            "SLUICE_GATEWAY_JOURNAL": "/var/lib/j", "SLUICE_GATEWAY_TIMEOUT_MS": "250", "SLUICE_GATEWAY_STEALTH_TIMEOUT_MS": "900",
            "SLUICE_GATEWAY_STEALTH_SAMPLE": "0.25", "SLUICE_GATEWAY_STEALTH_MAX_BODY": "4096",
            "SLUICE_GATEWAY_STEALTH_CONCURRENCY": "8", "SLUICE_GATEWAY_DURABLE_ACK": "off",
            "SLUICE_GATEWAY_PROBE_INTERVAL_MS": "500", "SLUICE_GATEWAY_RELOAD_INTERVAL_MS": "5000",
            "SLUICE_GATEWAY_MAX_ANSWER": "65536", "SLUICE_GATEWAY_HTTP_CLIENT": "LibCurl",
        ])
        #expect(config.gateway.journalDirectory.path == "/var/lib/j")
        #expect(config.gateway.liveTimeout == .milliseconds(250))
        #expect(config.gateway.stealthTimeout == .milliseconds(900))
        #expect(config.gateway.stealthSampleRate == 0.25)
        #expect(config.gateway.stealthMaxBody == 4096)
        #expect(config.gateway.stealthConcurrency == 8)
        #expect(config.gateway.acknowledgement == .off)
        #expect(config.gateway.probeInterval == .milliseconds(500))
        #expect(config.gateway.reloadInterval == .seconds(5))
        #expect(config.gateway.maxAnswer == 65536)
        #expect(config.gateway.modelClient == .libcurl)
        #expect(try SluiceConfiguration.fromEnvironment([:]).gateway.modelClient == .builtin)
        #expect(try SluiceConfiguration.fromEnvironment([:]).gateway.acknowledgement == .write)
        #expect(try SluiceConfiguration.fromEnvironment([:]).gateway.maxAnswer == 8 << 20)
    }

    /// Kubeflow's callback URL from the listening address: an IPv6 literal
    /// goes in brackets.
    @Test func effectivePublicURL_bracketsAnIPv6Host() throws {
        #expect(try SluiceConfiguration.fromEnvironment(["SLUICE_HOST": "::1"]).effectivePublicURL == "http://[::1]:8080")
    }

    /// `on`, the older spelling of the synced acknowledgement, keeps its meaning.
    @Test(arguments: [("fsync", JournalAcknowledgement.fsync), ("on", .fsync), ("ON", .fsync), ("write", .write), ("off", .off)])
    func acknowledgementValues(text: String, expected: JournalAcknowledgement) throws {
        #expect(try SluiceConfiguration.fromEnvironment(["SLUICE_GATEWAY_DURABLE_ACK": text]).gateway.acknowledgement == expected)
    }

    @Test(arguments: [
        "SLUICE_PORT=70000", "SLUICE_GATEWAY_PORT=-1", "SLUICE_ADMIN_TOKEN=short", "SLUICE_LOG_LEVEL=loud", "SLUICE_KUBEFLOW_URL=nourl",
        "SLUICE_GATEWAY_STEALTH_SAMPLE=1.5", "SLUICE_GATEWAY_TIMEOUT_MS=0", "SLUICE_GATEWAY_DURABLE_ACK=maybe", "SLUICE_GATEWAY_DURABLE_ACK=true",
        "SLUICE_GATEWAY_STEALTH_CONCURRENCY=0", "SLUICE_GATEWAY_MAX_ANSWER=0", "SLUICE_GATEWAY_HTTP_CLIENT=nio", "SLUICE_DATABASE_POOL_SIZE=0", "SLUICE_DATABASE_POOL_SIZE=many", "SLUICE_DATABASE_WAIT=thread",
        "SLUICE_EC2_AMI=ubuntu", "SLUICE_RECONCILE_INTERVAL=0", "SLUICE_RECONCILE_LEASE=1", "SLUICE_RECONCILE_LEASE=soon", "SLUICE_KUBEFLOW_AUTH=basic",
        "SLUICE_KUBEFLOW_URL=ftp://kfp.example.com", "SLUICE_KUBEFLOW_URL=http://kfp.example.com/?x=1", "SLUICE_PUBLIC_URL=sluice.example.com",
        "SLUICE_PUBLIC_URL=https://sluice.example.com/#frag", "SLUICE_KUBEFLOW_TOKEN=no-url-for-it", "SLUICE_BITBUCKET_SECRET= padded ",
        "SLUICE_ADMIN_TOKEN=abcdefghijklmnop\n", "SLUICE_ADMIN_TOKEN=abcdefgh ijklmnop", "SLUICE_ADMIN_TOKEN=" + String(repeating: "a", count: 513),
        "SLUICE_DATABASE_URL=mysql://u@h/db", "SLUICE_DATABASE_URL=postgres://u:p@db/sluice?sslmod=require",
    ])
    func invalidValue_namesTheVariable(assignment: String) {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        #expect {
            _ = try SluiceConfiguration.fromEnvironment([parts[0]: parts[1]])
        } throws: { error in
            (error as? SluiceConfiguration.Invalid)?.variable == parts[0]
        }
    }

    @Test func kubeflowAndWebhookVariables_areRead() throws {
        let config = try SluiceConfiguration.fromEnvironment([
            "SLUICE_KUBEFLOW_URL": "https://kfp.example.com/pipeline", "SLUICE_KUBEFLOW_TOKEN": "eyJhbGciOi.token",
            "SLUICE_PUBLIC_URL": "https://sluice.example.com", "SLUICE_BITBUCKET_SECRET": "webhook secret",
        ])
        #expect(config.kubeflowURL == "https://kfp.example.com/pipeline")
        #expect(config.kubeflowToken == "eyJhbGciOi.token")
        #expect(config.effectivePublicURL == "https://sluice.example.com")
        #expect(config.bitbucketSecret == "webhook secret")
        let defaults = try SluiceConfiguration.fromEnvironment([:])
        #expect(defaults.kubeflowURL == nil && defaults.kubeflowToken == nil && defaults.bitbucketSecret == nil)
    }

    @Test func kubeflowSigV4_withoutAWS_isRefusedAtStart() {
        #expect {
            _ = try SluiceConfiguration.fromEnvironment(["SLUICE_KUBEFLOW_URL": "https://kfp.example.com", "SLUICE_KUBEFLOW_AUTH": "sigv4"])
        } throws: { error in
            (error as? SluiceConfiguration.Invalid)?.variable == "SLUICE_KUBEFLOW_AUTH"
        }
    }

    @Test func kubeflowToken_withSpaces_isRefused_withoutEchoingIt() {
        #expect {
            _ = try SluiceConfiguration.fromEnvironment(["SLUICE_KUBEFLOW_URL": "http://kfp:8888", "SLUICE_KUBEFLOW_TOKEN": "secret value"])
        } throws: { error in
            let invalid = error as? SluiceConfiguration.Invalid
            return invalid?.variable == "SLUICE_KUBEFLOW_TOKEN" && !"\(error)".contains("secret value")
        }
    }

    @Test func reconcilerVariables_areRead() throws {
        let config = try SluiceConfiguration.fromEnvironment([
            "SLUICE_EC2_AMI": "ami-0abc1234", "SLUICE_EC2_SUBNET_ID": "subnet-1", "SLUICE_EC2_SECURITY_GROUP_IDS": "sg-1, sg-2",
            "SLUICE_EC2_INSTANCE_PROFILE": "sluice-model-server", "SLUICE_RECONCILE_INTERVAL": "5", "SLUICE_RECONCILE_LEASE": "20",
        ])
        #expect(config.ec2.imageID == "ami-0abc1234")
        #expect(config.ec2.subnetID == "subnet-1")
        #expect(config.ec2.securityGroupIDs == ["sg-1", "sg-2"])
        #expect(config.ec2.instanceProfile == "sluice-model-server")
        #expect(config.reconcileInterval == 5)
        #expect(config.reconcileLease == 20)
        let defaults = try SluiceConfiguration.fromEnvironment([:])
        #expect(defaults.ec2 == EC2Settings())
        #expect(defaults.reconcileInterval == 30 && defaults.reconcileLease == 60)
    }

    @Test func awsVariables_areResolvedAsTheSDKsDo() throws {
        #expect(try SluiceConfiguration.fromEnvironment([:]).aws == nil)
        let config = try SluiceConfiguration.fromEnvironment([
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "HOME": "/nonexistent",
        ])
        #expect(config.aws?.region == "eu-west-1")
        #expect(config.aws?.endpoint(for: "s3").baseURL == "http://127.0.0.1:9000")
        #expect(config.aws?.endpoint(for: "ec2").baseURL == "http://127.0.0.1:5000")
    }

    @Test(arguments: [
        (["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "HOME": "/nonexistent"], "AWS_REGION"),
        (["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": "s3.local", "HOME": "/nonexistent"], "AWS_ENDPOINT_URL_S3"),
    ])
    func invalidAWSValue_namesTheVariable(environment: [String: String], variable: String) {
        #expect {
            _ = try SluiceConfiguration.fromEnvironment(environment)
        } throws: { error in
            (error as? SluiceConfiguration.Invalid)?.variable == variable
        }
    }
}
