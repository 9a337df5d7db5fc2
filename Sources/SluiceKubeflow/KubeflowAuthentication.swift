public import SluiceAWS

/// How requests to Kubeflow Pipelines prove who sends them.
public enum KubeflowAuthentication: Sendable {
    /// Nothing (a port-forward, a trusted network).
    case none
    /// `Authorization: Bearer <token>`: a Kubernetes service-account token
    /// or an OIDC token that the cluster's gateway accepts.
    case bearer(String)
    /// AWS SigV4 with service name `execute-api`, for a KFP API behind an
    /// API Gateway with IAM authorization. It owns `Authorization`, so it
    /// replaces a bearer token.
    case sigV4(credentials: any CredentialProvider, region: String)
}
