/// The build's version, reported by `/version` and `sluice version`.
public enum SluiceVersion {
    /// Semantic version of this build.
    public static let version = "0.1.0"
    /// The API versions this build serves.
    public static let apiVersions = ["v1"]
}
