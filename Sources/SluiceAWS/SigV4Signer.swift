public import Foundation

/// AWS Signature Version 4 as a value: credential, service and region in, a
/// signed request out, with the signing time as a parameter.
///
/// The steps are named after AWS's documentation ("Create a signed AWS API
/// request"): ``canonicalRequest(_:payloadHash:)``,
/// ``stringToSign(canonicalRequest:date:)``, ``signingKey(date:)`` and
/// ``signature(stringToSign:signingKey:)``; ``sign(_:payload:date:)`` and
/// ``presign(_:expires:date:payload:)`` chain them and return every
/// intermediate value in ``Steps``.
///
/// Service rules: for `s3` the path is not normalized and is URI-encoded once,
/// and `x-amz-content-sha256` is always sent and signed. For every other
/// service the path is normalized (`.` and `..` removed, `//` collapsed) and
/// encoded a second time over its wire form, as the SigV4 spec requires.
///
/// ```swift
/// let signer = SigV4Signer(credential: credential, service: "s3", region: "eu-west-1")
/// var request = try AWSRequest(method: "GET", url: url)
/// try signer.sign(&request, date: .now)
/// ```
public struct SigV4Signer: Sendable {
    /// The algorithm name that opens the string to sign and the `Authorization` header.
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The payload hash for bodies that are not hashed (S3 presigned URLs, streamed uploads over TLS).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The longest lifetime AWS accepts for a presigned URL: 7 days.
    public static let maximumExpiry: Duration = .seconds(604_800)

    /// The key that signs.
    public let credential: AWSCredential
    /// The signing name of the service, for example `s3`, `ec2` or `ecr`.
    public let service: String
    /// The region, for example `us-east-1`.
    public let region: String

    /// Whether the path is normalized (RFC 3986 §5.2.4 dot segments removed, empty
    /// segments collapsed) before encoding. Default: `false` for `s3`, `true` otherwise.
    public var normalizesPath: Bool
    /// Whether the canonical path encodes the wire path again (so `%20` becomes
    /// `%2520`), as every service but S3 expects. When `false` the wire path is
    /// decoded and encoded once. Default: `false` for `s3`, `true` otherwise.
    public var encodesPathTwice: Bool
    /// Whether header signing adds and signs `x-amz-content-sha256`. Default:
    /// `true` for `s3`, `false` otherwise. It is always added for ``Payload/unsigned``.
    public var addsContentSHA256Header: Bool
    /// Whether `X-Amz-Security-Token` is part of the signature (the default,
    /// `true`). When `false` it is added after signing, as a few services require.
    public var signsSessionToken: Bool

    let keyCache: SigningKeyCache

    /// A signer with the defaults for `service` (see the properties).
    public init(credential: AWSCredential, service: String, region: String) {
        self.init(credential: credential, service: service, region: region, keyCache: .shared)
    }

    /// A signer that keeps derived keys in `keyCache` (tests pass their own).
    package init(credential: AWSCredential, service: String, region: String, keyCache: SigningKeyCache) {
        self.credential = credential
        self.service = service
        self.region = region
        let isS3 = service == "s3"
        self.normalizesPath = !isS3
        self.encodesPathTwice = !isS3
        self.addsContentSHA256Header = isS3
        self.signsSessionToken = true
        self.keyCache = keyCache
    }

    /// Signs `request` for the `Authorization` header.
    ///
    /// Sets `X-Amz-Date`; `X-Amz-Security-Token` for session credentials;
    /// `x-amz-content-sha256` when ``addsContentSHA256Header`` is set or the
    /// payload is ``Payload/unsigned``; and finally `Authorization`. Existing
    /// fields with those names are replaced, so signing again (a retry) is safe.
    /// Every other header except hop-by-hop ones, `User-Agent`, `Expect` and
    /// `X-Amzn-Trace-Id` is signed.
    ///
    /// - Parameters:
    ///   - payload: the body, its hash, or ``Payload/unsigned``. Default: empty body.
    ///   - date: the signing time; the request is valid for about 15 minutes around it.
    /// - Returns: the intermediate values, for logs and tests.
    /// - Throws: ``SigV4Error`` `.missingHost` without a `Host` header, `.cryptoFailed`.
    @discardableResult
    public func sign(_ request: inout AWSRequest, payload: Payload = .empty, date: Date) throws(SigV4Error) -> Steps {
        let payloadHash = try payload.canonicalHash()
        let amzDate = AMZDate(date)
        request.removeHeader("Authorization")
        request.setHeader("X-Amz-Date", to: amzDate.timestamp)
        if addsContentSHA256Header || payload == .unsigned {
            request.setHeader("x-amz-content-sha256", to: payloadHash)
        }
        let token = credential.sessionToken
        if let token {
            if signsSessionToken {
                request.setHeader("X-Amz-Security-Token", to: token)
            } else {
                request.removeHeader("X-Amz-Security-Token")
            }
        }
        let canonical = try canonicalRequest(request, payloadHash: payloadHash)
        let steps = try steps(for: canonical, date: amzDate)
        request.headers.append(("Authorization", steps.authorization))
        if let token, !signsSessionToken {
            request.headers.append(("X-Amz-Security-Token", token))
        }
        return steps
    }
}
