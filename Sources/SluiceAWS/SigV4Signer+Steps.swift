public import Foundation

extension SigV4Signer {
    /// What the signature covers of the body.
    public enum Payload: Sendable, Hashable {
        /// The whole body; its SHA-256 is computed.
        case bytes([UInt8])
        /// A precomputed value: the hex SHA-256 of a streamed body, or a literal
        /// such as `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
        case hash(String)
        /// `UNSIGNED-PAYLOAD`: the body is not covered (S3 over TLS).
        case unsigned

        /// An empty body.
        public static var empty: Payload { .bytes([]) }

        /// The value that goes into the canonical request and `x-amz-content-sha256`.
        public func canonicalHash() throws(SigV4Error) -> String {
            switch self {
            case .bytes(let bytes):
                if bytes.isEmpty { return SHA256.emptyHash }
                do {
                    return try SHA256.hexHash(bytes)
                } catch {
                    throw SigV4Error(error)
                }
            case .hash(let value):
                return value
            case .unsigned:
                return SigV4Signer.unsignedPayload
            }
        }
    }

    /// The intermediate values of one signing, named after AWS's stages.
    public struct Steps: Sendable, Hashable {
        /// Stage 1: the canonical request.
        public var canonicalRequest: String
        /// The `;`-joined, sorted, lower-case names of the signed headers.
        public var signedHeaders: String
        /// `<day>/<region>/<service>/aws4_request`.
        public var credentialScope: String
        /// Stage 2: the string to sign.
        public var stringToSign: String
        /// Stage 4: the hex HMAC-SHA256 of the string to sign under the signing key.
        public var signature: String
        /// The access key ID that signed.
        public var accessKeyID: String

        /// The `Authorization` header value, formatted as botocore and the AWS suite write it.
        public var authorization: String {
            "\(SigV4Signer.algorithm) Credential=\(accessKeyID)/\(credentialScope), "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        }
    }

    /// `<day>/<region>/<service>/aws4_request` for `date`.
    public func credentialScope(date: Date) -> String {
        credentialScope(AMZDate(date))
    }

    /// Stage 2, the string to sign: algorithm, timestamp, scope and the hex
    /// SHA-256 of the canonical request, one per line.
    public func stringToSign(canonicalRequest: String, date: Date) throws(SigV4Error) -> String {
        try stringToSign(canonicalRequest: canonicalRequest, date: AMZDate(date))
    }

    /// Stage 3, the signing key: `HMAC("AWS4" + secret, day)`, then region,
    /// service and `aws4_request` in turn. Cached per day, region, service and secret.
    public func signingKey(date: Date) throws(SigV4Error) -> [UInt8] {
        try signingKey(AMZDate(date))
    }

    /// Stage 4, the signature: hex HMAC-SHA256 of `stringToSign` under `signingKey`.
    public func signature(stringToSign: String, signingKey: [UInt8]) throws(SigV4Error) -> String {
        do {
            return Hex.encode(try HMACSHA256.authenticationCode(for: stringToSign.utf8, key: signingKey))
        } catch {
            throw SigV4Error(error)
        }
    }

    func credentialScope(_ date: AMZDate) -> String {
        "\(date.day)/\(region)/\(service)/aws4_request"
    }

    func stringToSign(canonicalRequest: String, date: AMZDate) throws(SigV4Error) -> String {
        let hash: String
        do {
            hash = try SHA256.hexHash(canonicalRequest.utf8)
        } catch {
            throw SigV4Error(error)
        }
        return "\(Self.algorithm)\n\(date.timestamp)\n\(credentialScope(date))\n\(hash)"
    }

    func signingKey(_ date: AMZDate) throws(SigV4Error) -> [UInt8] {
        let key = SigningKeyCache.Key(
            day: String(date.day),
            region: region,
            service: service,
            secret: credential.secretAccessKey
        )
        do {
            return try keyCache.signingKey(for: key) { () throws(CryptoError) in
                var derived = Array("AWS4\(credential.secretAccessKey)".utf8)
                for part in [String(date.day), region, service, "aws4_request"] {
                    derived = try HMACSHA256.authenticationCode(for: part.utf8, key: derived)
                }
                return derived
            }
        } catch {
            throw SigV4Error(error)
        }
    }

    /// Stages 2 to 4 for a canonical request.
    func steps(for canonical: CanonicalRequest, date: AMZDate) throws(SigV4Error) -> Steps {
        let stringToSign = try stringToSign(canonicalRequest: canonical.text, date: date)
        let signature = try signature(stringToSign: stringToSign, signingKey: try signingKey(date))
        return Steps(
            canonicalRequest: canonical.text,
            signedHeaders: canonical.signedHeaders,
            credentialScope: credentialScope(date),
            stringToSign: stringToSign,
            signature: signature,
            accessKeyID: credential.accessKeyID
        )
    }
}
