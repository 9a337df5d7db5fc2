import Foundation
import SluiceAWS
import Testing

/// ECR image lookups against moto (JSON 1.1), every signature checked.
@Suite("ECR against moto")
struct ECRImageTests {
    static let manifest = """
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",\
        "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,\
        "digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}
        """

    @Test func tag_resolvesToTheSameDigestByBothOperations() async throws {
        let clients = try await MotoClients.make()
        let repository = "models/" + UUID().uuidString.prefix(8).lowercased()
        try await clients.ecr.createRepository(repository)
        let pushed = try await clients.ecr.putImage(repository: repository, manifest: Self.manifest, tag: "v1")
        #expect(pushed.hasPrefix("sha256:"))

        #expect(try await clients.ecr.resolveDigest(repository: repository, tag: "v1") == pushed)
        let details = try await clients.ecr.describeImages(repository: repository, tags: ["v1"])
        #expect(details.map(\.digest) == [pushed])
        #expect(details.first?.tags == ["v1"])
        let (images, failures) = try await clients.ecr.batchGetImage(repository: repository, tags: ["v1", "missing"])
        #expect(images.map(\.digest) == [pushed])
        #expect(images.first?.manifest.contains("schemaVersion") == true)
        #expect(failures.map(\.tag) == ["missing"])
    }

    @Test func unknownTag_andUnknownRepository_areTypedErrors() async throws {
        let clients = try await MotoClients.make()
        let repository = "empty-" + UUID().uuidString.prefix(8).lowercased()
        try await clients.ecr.createRepository(repository)
        let tag = await #expect(throws: AWSError.self) {
            try await clients.ecr.resolveDigest(repository: repository, tag: "nope")
        }
        #expect(tag?.code == "ImageNotFoundException")
        let missing = await #expect(throws: AWSError.self) {
            try await clients.ecr.describeImages(repository: "no-such-" + repository)
        }
        #expect(missing?.code == "RepositoryNotFoundException")
        #expect(missing?.service == "ecr")
        #expect(missing?.status == 400)
    }
}
