import SluiceDomain
import Testing

/// The user data instances boot with.
@Suite struct ModelServerBootTests {
    @Test func torchserve_pullsByDigest_fetchesTheArtifact_registersTheModel() {
        let script = ModelServerBoot.script(
            model: "churn", runtime: .torchserve, repository: "models/churn", digest: "sha256:abc", artifactURI: "s3://rnd/churn/v1.mar",
            region: "eu-west-1")
        #expect(script.hasPrefix("#!/bin/bash\n"))
        #expect(script.contains("set -euo pipefail"))
        #expect(script.contains(#"docker pull "${REGISTRY}/models/churn@sha256:abc""#))
        #expect(script.contains("aws s3 cp --region \"$REGION\" 's3://rnd/churn/v1.mar' '/opt/sluice/model/v1.mar'"))
        #expect(script.contains("--models 'churn=v1.mar'"))
        #expect(script.contains("REGION='eu-west-1'"))
        #expect(script.contains("-p 8080:8080"))
    }

    /// With the registered ETag the artifact is fetched only if unchanged.
    @Test func knownETag_pinsTheArtifactWithIfMatch() {
        let script = ModelServerBoot.script(
            model: "churn", runtime: .torchserve, repository: "models/churn", digest: "sha256:abc", artifactURI: "s3://rnd/churn/v1.mar",
            artifactETag: "9b2cf535f27731c974343645a3985328", region: "eu-west-1")
        #expect(script.contains(
            #"aws s3api get-object --region "$REGION" --bucket 'rnd' --key 'churn/v1.mar' --if-match '"9b2cf535f27731c974343645a3985328"' '/opt/sluice/model/v1.mar' > /dev/null"#))
        #expect(!script.contains("aws s3 cp"))
    }

    @Test func oip_servesFromMntModels() {
        let script = ModelServerBoot.script(
            model: "churn", runtime: .oip, repository: "models/churn", digest: "sha256:abc", artifactURI: "s3://rnd/m/model.bin", region: "us-east-1")
        #expect(script.contains("-v /opt/sluice/model:/mnt/models"))
        #expect(script.contains("--model_name='churn'"))
        #expect(!script.contains("torchserve"))
    }

    @Test func valuesAreQuotedForTheShell() {
        let script = ModelServerBoot.script(
            model: "m", runtime: .torchserve, repository: "r", digest: "sha256:0", artifactURI: "s3://b/it's $(reboot).mar", region: "us-east-1")
        #expect(script.contains(#"'s3://b/it'\''s $(reboot).mar'"#))
    }
}
