import Foundation
import SluiceAWS

/// Requests for the botocore differential test, generated from a fixed seed:
/// odd S3 keys, repeated and empty query parameters, untidy headers, bodies of
/// many sizes, services s3, ec2 and ecr, with and without session tokens.
///
/// The wire forms (path, query) are built here with the test's own encoder,
/// not `SluiceAWS`'s, and often leniently (sub-delimiters left bare, lower-case
/// hex) where the signer must re-encode: queries, and paths of services other
/// than S3. S3 paths are encoded strictly, as botocore signs them as they are.
struct DifferentialRequest: Encodable {
    var id: Int
    var mode: String
    var service: String
    var region: String
    var access_key: String
    var secret_key: String
    var token: String?
    var timestamp: Int
    var method: String
    /// Scheme, host, port and wire path: what botocore gets.
    var url: String
    /// The percent-encoded path inside `url`.
    var wire_path: String
    /// Decoded query parameters: botocore encodes them itself.
    var params: [[String]]
    var headers: [[String]]
    var body_hex: String
    var unsigned: Bool
    var expires: Int
    /// Our side: the wire query that goes after `url`.
    var wire_query: String
    /// Our side: how the body is handed to the signer (`bytes`, `hash`, `unsigned`).
    var payload_mode: String
    /// Our side: the body (botocore gets `body_hex`).
    var body: [UInt8]

    enum CodingKeys: String, CodingKey {
        case id, mode, service, region, access_key, secret_key, token, timestamp, method, url, wire_path
        case params, headers, body_hex, unsigned, expires, wire_query, payload_mode
    }

    /// The signer's input URL: `url` plus the wire query.
    var fullURL: String { wire_query.isEmpty ? url : "\(url)?\(wire_query)" }

    static func generate(count: Int, seed: UInt64) -> [DifferentialRequest] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { generateOne(id: $0, using: &random) }
    }

    static let regions = ["us-east-1", "eu-west-2", "ap-southeast-1", "cn-north-1", "us-gov-west-1"]

    /// Pieces of keys and values that break naive encoders.
    static let oddPieces = [
        "a b", "c+d", "e=f", "g&h", "100%", "50%25", "ünïcødé", "日本語", "~tilde", "$dollar", "semi;colon",
        "comma,", "'quote'", "(paren)", "*star", "@at", "!bang", ":colon", "q?mark", "hash#tag", "emoji😀",
        "space  two", "tab\tin", "dot.", "under_score", "dash-", "UPPER", "x%2Fy", "plain", "0", "[br]", "a\"q",
    ]

    static let parameterNames = [
        "prefix", "delimiter", "max-keys", "list-type", "continuation-token", "versionId", "uploads", "x-id",
        "Action", "Version", "Filter.1.Name", "marker", "acl", "tagging", "a b", "ké", "e=q", "plus+", "~t",
    ]

    static func generateOne(id: Int, using random: inout SplitMix64) -> DifferentialRequest {
        let service = pick(["s3", "s3", "s3", "ec2", "ecr"], &random)
        let presign = chance(0.25, &random)
        let region = pick(regions, &random)
        let token = chance(0.4, &random) ? randomString(count: Int.random(in: 16...320, using: &random), from: base64, &random) : nil

        let (url, generatedMethod) = service == "s3" ? s3URL(region: region, &random) : serviceURL(service, region: region, &random)
        let method = presign ? "GET" : generatedMethod

        // Query: repeated names and empty values (presign keeps names unique:
        // botocore folds the query into a dict there).
        var params: [[String]] = []
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let name = pick(parameterNames, &random)
            if presign, params.contains(where: { $0[0] == name }) { continue }
            let value = chance(0.2, &random) ? "" : randomText(pieces: Int.random(in: 1...3, using: &random), &random)
            params.append([name, value])
            if !presign, chance(0.15, &random) {
                params.append([name, chance(0.5, &random) ? value : randomText(pieces: 1, &random)])
            }
        }
        let lenientQuery = chance(0.5, &random)
        let wireQuery = params.map { parameter in
            let name = encode(parameter[0], lenient: lenientQuery, inQuery: true, &random)
            if parameter[1].isEmpty, chance(0.5, &random) { return name }
            return name + "=" + encode(parameter[1], lenient: lenientQuery, inQuery: true, &random)
        }.joined(separator: "&")

        var headers: [[String]] = []
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let header = pick(headerPool(presign: presign), &random)
            headers.append(header)
        }

        var body: [UInt8] = []
        var payloadMode = "bytes"
        if !presign {
            let size = pick([0, 0, 0, 1, 13, 255, 4096, 65_537, 150_001], &random)
            body = randomBytes(count: size, &random)
            payloadMode = pick(["bytes", "bytes", "hash", "unsigned"], &random)
        }

        return DifferentialRequest(
            id: id,
            mode: presign ? "presign" : "header",
            service: service,
            region: region,
            access_key: "AKIA" + randomString(count: 16, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), &random),
            secret_key: randomString(count: 40, from: base64, &random),
            token: token,
            timestamp: Int.random(in: 946_684_800...4_102_444_799, using: &random),
            method: method,
            url: url,
            wire_path: wirePath(of: url),
            params: params,
            headers: headers,
            body_hex: Hex.encode(body),
            unsigned: payloadMode == "unsigned",
            expires: Int.random(in: 1...604_800, using: &random),
            wire_query: wireQuery,
            payload_mode: payloadMode,
            body: body
        )
    }

    static func s3URL(region: String, _ random: inout SplitMix64) -> (String, String) {
        var segments: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            segments.append(
                pick(["", ".", "..", randomText(pieces: 1, &random), randomText(pieces: 2, &random)], &random)
            )
        }
        let key = segments.map { encode($0, lenient: false, inQuery: false, &random) }.joined(separator: "/")
        let bucket = "sluice-\(Int.random(in: 1...999, using: &random))"
        let method = pick(["GET", "PUT", "HEAD", "DELETE", "POST"], &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return ("http://localhost:\(pick([9000, 80, 5000], &random))/\(bucket)/\(key)", method)
        case 1:
            return ("https://s3.\(region).amazonaws.com/\(bucket)/\(key)", method)
        case 2:
            return ("https://\(bucket.uppercased()).S3.\(region).amazonaws.com:\(pick([443, 8443], &random))/\(key)", method)
        default:
            return ("https://\(bucket).s3.\(region).amazonaws.com/\(key)", method)
        }
    }

    static func serviceURL(_ service: String, region: String, _ random: inout SplitMix64) -> (String, String) {
        let host = service == "ecr" ? "api.ecr.\(region).amazonaws.com" : "ec2.\(region).amazonaws.com"
        var path = "/"
        if chance(0.5, &random) {
            // Not what EC2 or ECR use, but exercises normalization and double encoding.
            var segments: [String] = [""]
            for _ in 0..<Int.random(in: 1...5, using: &random) {
                segments.append(pick(["", ".", "..", randomText(pieces: 1, &random)], &random))
            }
            path = segments.map { encode($0, lenient: true, inQuery: false, &random) }.joined(separator: "/")
            if chance(0.3, &random) { path += "/" }
        }
        return ("https://\(host)\(path)", pick(["POST", "GET"], &random))
    }

    static func headerPool(presign: Bool) -> [[String]] {
        var pool: [[String]] = [
            ["Content-Type", "application/x-amz-json-1.1"],
            ["X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"],
            ["x-amz-meta-Note", "  spaced   value  "],
            ["X-Amz-Meta-Tabs", "a\t\tb \t c"],
            ["Range", "bytes=0-9"],
            ["User-Agent", "sluice/0.1 (linux)"],
            ["Expect", "100-continue"],
            ["X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"],
            ["Cache-Control", "no-cache"],
            ["x-amz-acl", "bucket-owner-full-control"],
            ["X-Dup", "1"], ["x-dup", "  2 "], ["X-DUP", ""],
            ["x-amz-meta-naïve", "café crème"],
            ["Content-Encoding", "gzip"],
        ]
        if !presign {
            pool += [["X-Amz-Date", "20000101T000000Z"], ["Authorization", "AWS4-HMAC-SHA256 stale"]]
        }
        return pool
    }

    /// The path of `url` (everything after the authority).
    static func wirePath(of url: String) -> String {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last ?? ""
        guard let slash = afterScheme.firstIndex(of: "/") else { return "/" }
        return String(afterScheme[slash...])
    }

    static let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")

    /// `count` random bytes, eight per generator step.
    static func randomBytes(count: Int, _ random: inout SplitMix64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset + 8 <= count {
                buffer.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            var tail = random.next()
            while offset < count {
                buffer[offset] = UInt8(truncatingIfNeeded: tail)
                tail >>= 8
                offset += 1
            }
        }
        return bytes
    }

    static func randomText(pieces: Int, _ random: inout SplitMix64) -> String {
        (0..<pieces).map { _ in pick(oddPieces, &random) }.joined()
    }

    static func randomString(count: Int, from alphabet: [Character], _ random: inout SplitMix64) -> String {
        String((0..<count).map { _ in pick(alphabet, &random) })
    }

    static func pick<T>(_ values: [T], _ random: inout SplitMix64) -> T {
        values[Int.random(in: 0..<values.count, using: &random)]
    }

    static func chance(_ probability: Double, _ random: inout SplitMix64) -> Bool {
        Double.random(in: 0..<1, using: &random) < probability
    }

    /// Percent-encodes `text` (a path segment or a query name or value) for the
    /// wire. Strict: only RFC 3986 unreserved characters stay, upper-case hex.
    /// Lenient: sub-delimiters other than `& = +`, `:` and `@` (and in a query
    /// `/` and `?`) stay too, and the hex case is random.
    static func encode(_ text: String, lenient: Bool, inQuery: Bool, _ random: inout SplitMix64) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
        let lenientExtra = Set("!$'()*,;:@".utf8).union(inQuery ? Set("/?".utf8) : [])
        let digits = Array((lenient && chance(0.5, &random) ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if unreserved.contains(byte) || (lenient && lenientExtra.contains(byte)) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
