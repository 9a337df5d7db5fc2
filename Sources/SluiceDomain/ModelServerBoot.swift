import Foundation

/// The user data an EC2 instance boots with: log in to ECR, pull the model
/// server image by digest, fetch the model artifact from S3, run the server
/// on port 8080 (DESIGN.md §5). The host image (AMI) needs Docker and the
/// AWS CLI, and an instance profile that may read the artifact and the image.
public enum ModelServerBoot {
    /// The port every model server listens on (TorchServe's inference API
    /// and the Open Inference Protocol servers' HTTP port).
    public static let port = 8080

    /// The boot script for `model` served by `runtime` from ECR repository
    /// `repository` at `digest` (`sha256:...`), in the instance's account.
    /// With `artifactETag` the artifact is fetched only if it is still the
    /// object registered (`If-Match`): otherwise the boot fails and the
    /// instance never serves other bytes than the version's.
    public static func script(
        model: String, runtime: DeploymentRuntime, repository: String, digest: String, artifactURI: String,
        artifactETag: String? = nil, region: String
    ) -> String {
        let image = "${REGISTRY}/" + repository + "@" + digest
        let artifactName = artifactURI.split(separator: "/").last.map(String.init) ?? "model"
        let run: String
        switch runtime {
        case .torchserve:
            // TorchServe: the .mar in the model store, registered at start.
            run = """
                docker run -d --restart=always --name model-server -p \(port):8080 -p 8081:8081 -p 8082:8082 \\
                  -v /opt/sluice/model:/home/model-server/model-store \"\(image)\" \\
                  torchserve --start --ncs --model-store /home/model-server/model-store \\
                  --models \(shellQuote("\(model)=\(artifactName)"))
                """
        case .oip:
            // Open Inference Protocol servers (KServe runtimes, MLServer,
            // Triton) take the model from /mnt/models by convention.
            run = """
                docker run -d --restart=always --name model-server -p \(port):8080 \\
                  -v /opt/sluice/model:/mnt/models -e MODEL_NAME=\(shellQuote(model)) \"\(image)\" \\
                  --model_name=\(shellQuote(model)) --model_dir=/mnt/models --http_port=8080
                """
        }
        return """
            #!/bin/bash
            # Written by Sluice: boots one model server.
            set -euo pipefail
            mkdir -p /opt/sluice/model
            REGION=\(shellQuote(region))
            REGISTRY="$(aws sts get-caller-identity --query Account --output text).dkr.ecr.${REGION}.amazonaws.com"
            aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
            docker pull \"\(image)\"
            \(fetch(artifactURI, etag: artifactETag, to: "/opt/sluice/model/\(artifactName)"))
            \(run)

            """
    }

    /// The command that fetches the artifact: `aws s3api get-object` with
    /// `--if-match` when its ETag is known, `aws s3 cp` otherwise.
    static func fetch(_ artifactURI: String, etag: String?, to path: String) -> String {
        guard let etag, let uri = S3URI(artifactURI) else {
            return "aws s3 cp --region \"$REGION\" \(shellQuote(artifactURI)) \(shellQuote(path))"
        }
        return "aws s3api get-object --region \"$REGION\" --bucket \(shellQuote(uri.bucket)) --key \(shellQuote(uri.key))"
            + " --if-match \(shellQuote("\"\(etag)\"")) \(shellQuote(path)) > /dev/null"
    }

    /// `value` in single quotes for a POSIX shell.
    static func shellQuote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
