import Foundation
import SluiceAWS
import Testing

/// Signs a few hundred generated requests with `SigV4Signer` and with botocore
/// (`scripts/sigv4_botocore.py`, run with `python3` from `PATH`) and expects
/// the same canonical requests, `Authorization` headers, signed headers and
/// presigned query strings.
///
/// Needs python3 and botocore, which `make test` installs. Without them this
/// test fails, on purpose: a differential test that silently passes is worse
/// than none.
@Suite("Differential test against botocore")
struct BotocoreDifferentialTests {
    static let seed: UInt64 = 0x5349_4756_3453_4C55
    static let count = 400
    static let requests = DifferentialRequest.generate(count: count, seed: seed)

    struct Output: Decodable {
        struct Result: Decodable {
            var id: Int
            var canonical_request: String
            var authorization: String?
            var url: String?
            var headers: [[String]]
        }

        var botocore_version: String
        var results: [Result]
    }

    @Test func generatedRequests_coverTheInterestingCases() {
        let requests = Self.requests
        for service in ["s3", "ec2", "ecr"] {
            #expect(requests.filter { $0.service == service }.count >= 40, "\(service)")
        }
        #expect(requests.filter { $0.mode == "presign" }.count >= 60)
        #expect(requests.filter { $0.token != nil }.count >= 100)
        #expect(requests.filter { $0.unsigned }.count >= 30)
        #expect(requests.filter { $0.payload_mode == "hash" }.count >= 30)
        #expect(requests.filter { $0.body_hex.count > 100_000 }.count >= 10)
        #expect(requests.filter { Set($0.params.map { $0[0] }).count < $0.params.count }.count >= 10)
    }

    @Test func signatures_matchBotocore() throws {
        let requests = Self.requests
        let output = try Self.runBotocore(requests)
        try #require(output.results.count == requests.count, "botocore \(output.botocore_version) answered \(output.results.count) of \(requests.count)")

        var failures: [String] = []
        for (request, theirs) in zip(requests, output.results) {
            let problems = try Self.compare(request, theirs)
            if !problems.isEmpty {
                failures.append("case \(request.id) (\(request.service) \(request.mode) \(request.method) \(request.fullURL)): " + problems.joined(separator: "; "))
            }
        }
        for failure in failures.prefix(10) {
            Issue.record(Comment(rawValue: failure))
        }
        #expect(failures.count == 0, "\(failures.count) of \(requests.count) requests differ from botocore \(output.botocore_version)")
    }

    /// What differs between our signing of `request` and botocore's.
    static func compare(_ request: DifferentialRequest, _ theirs: Output.Result) throws -> [String] {
        guard let url = URL(string: request.fullURL) else {
            return ["URL(string:) rejected the generated URL"]
        }
        var ours = try AWSRequest(method: request.method, url: url, headers: request.headers.map { ($0[0], $0[1]) })
        guard ours.path == request.wire_path else {
            return ["Foundation changed the wire path to \(ours.path) from \(request.wire_path)"]
        }
        let signer = SigV4Signer(
            credential: AWSCredential(accessKeyID: request.access_key, secretAccessKey: request.secret_key, sessionToken: request.token),
            service: request.service,
            region: request.region
        )
        let date = Date(timeIntervalSince1970: Double(request.timestamp))
        var problems: [String] = []

        if request.mode == "presign" {
            let steps = try signer.presign(&ours, expires: .seconds(request.expires), date: date)
            if steps.canonicalRequest != theirs.canonical_request {
                problems.append("canonical request\n--- ours\n\(steps.canonicalRequest)\n--- botocore\n\(theirs.canonical_request)")
            }
            let theirQuery = theirs.url.flatMap { $0.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) } ?? ""
            if decodedParameters(ours.query) != decodedParameters(theirQuery) {
                problems.append("presigned query\n--- ours\n\(ours.query)\n--- botocore\n\(theirQuery)")
            }
            return problems
        }

        let body = request.body
        let payload: SigV4Signer.Payload
        switch request.payload_mode {
        case "unsigned":
            payload = .unsigned
        case "hash":
            // Hash as a streamed upload would: in pieces, with the incremental digest.
            var digest = try SHA256()
            var start = 0
            while start < body.count {
                let end = min(body.count, start + 7919)
                digest.update(body[start..<end])
                start = end
            }
            payload = .hash(Hex.encode(try digest.finalize()))
        default:
            payload = .bytes(body)
        }
        let steps = try signer.sign(&ours, payload: payload, date: date)
        if steps.canonicalRequest != theirs.canonical_request {
            problems.append("canonical request\n--- ours\n\(steps.canonicalRequest)\n--- botocore\n\(theirs.canonical_request)")
        }
        if ours.value(forHeader: "Authorization") != theirs.authorization {
            problems.append("Authorization: ours \(steps.authorization), botocore \(theirs.authorization ?? "none")")
        }
        // botocore derives `host` for signing without adding the field; both
        // sign the same value, as the canonical requests above show.
        let ourHeaders = ours.headers.map { "\($0.0.lowercased()):\($0.1)" }.filter { !$0.hasPrefix("host:") }.sorted()
        let theirHeaders = theirs.headers.map { "\($0[0].lowercased()):\($0[1])" }.sorted()
        if ourHeaders != theirHeaders {
            problems.append("headers: ours \(ourHeaders), botocore \(theirHeaders)")
        }
        return problems
    }

    /// Runs the botocore script on `requests`, through temporary files (no
    /// pipe to fill up, no SIGPIPE if python stops early).
    static func runBotocore(_ requests: [DifferentialRequest]) throws -> Output {
        let remedy = "`make test` installs python3 and botocore (python3 -m pip install botocore)"
        // make test points SLUICE_TEST_PYTHON at its venv (scripts/python-venv.sh).
        let configured = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"].map { URL(fileURLWithPath: $0) }
        guard let python = configured ?? executableOnPath("python3") else {
            throw BotocoreUnavailable(description: "python3 is not on PATH, so SigV4 cannot be compared with botocore; \(remedy)")
        }
        let script = Fixtures.repositoryRoot.appending(path: "scripts/sigv4_botocore.py")
        let directory = FileManager.default.temporaryDirectory.appending(path: "sluice-sigv4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appending(path: "requests.json")
        let output = directory.appending(path: "botocore.json")
        let errors = directory.appending(path: "stderr.txt")
        try JSONEncoder().encode(requests).write(to: input)
        try Data().write(to: output)
        try Data().write(to: errors)

        let process = Process()
        process.executableURL = python
        process.arguments = [script.path]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()

        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw BotocoreUnavailable(
                description: "\(python.path) \(script.path) exited with status \(process.terminationStatus): \(stderr); \(remedy)"
            )
        }
        return try JSONDecoder().decode(Output.self, from: Data(contentsOf: output))
    }

    /// python3 or botocore is missing: the test fails with this message.
    struct BotocoreUnavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func executableOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appending(path: name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    /// Query parameters, percent-decoded, as a sorted list: equal for two
    /// spellings of the same query.
    static func decodedParameters(_ query: String) -> [String] {
        query.split(separator: "&").map { parameter in
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0])
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            return "\(name)=\(value)"
        }.sorted()
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
