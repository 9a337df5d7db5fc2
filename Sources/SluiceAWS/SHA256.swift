internal import COpenSSL

/// SHA-256 over libcrypto's EVP digest API.
///
/// One-shot with ``hash(_:)``, or incremental for streamed bodies:
///
/// ```swift
/// var digest = try SHA256()
/// for chunk in chunks { digest.update(chunk) }
/// let hex = Hex.encode(try digest.finalize())
/// ```
///
/// The value owns an `EVP_MD_CTX`, so it cannot be copied; `finalize()`
/// consumes it and the context is freed when the value goes away.
public struct SHA256: ~Copyable {
    /// The length of a SHA-256 digest in bytes: 32.
    public static let byteCount = 32

    /// The SHA-256 of the empty string, in hex: the payload hash of a request without a body.
    public static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private let context: OpaquePointer
    /// The first OpenSSL call that failed in `update`, reported by `finalize()`.
    private var failedFunction: String?

    /// Starts an empty digest.
    public init() throws(CryptoError) {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError(code: .allocationFailed, function: "EVP_MD_CTX_new")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw CryptoError(code: .digestFailed, function: "EVP_DigestInit_ex")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds `bytes` into the digest. A libcrypto failure is reported by `finalize()`.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let array = Array(bytes)
            array.withUnsafeBytes { update($0) }
        }
    }

    /// Feeds the bytes of `buffer` into the digest.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard failedFunction == nil, buffer.count > 0 else { return }
        if EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) != 1 {
            failedFunction = "EVP_DigestUpdate"
        }
    }

    /// Finishes the digest and returns its 32 bytes.
    public consuming func finalize() throws(CryptoError) -> [UInt8] {
        if let failedFunction {
            throw CryptoError(code: .digestFailed, function: failedFunction)
        }
        var length: UInt32 = 0
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        let status = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        guard status == 1, Int(length) == Self.byteCount else {
            throw CryptoError(code: .digestFailed, function: "EVP_DigestFinal_ex")
        }
        return Array(out.prefix(Self.byteCount))
    }

    /// The SHA-256 of `bytes`, in one call (`EVP_Digest`).
    public static func hash(_ bytes: some Sequence<UInt8>) throws(CryptoError) -> [UInt8] {
        if let result = bytes.withContiguousStorageIfAvailable({ oneShot(UnsafeRawBufferPointer($0)) }) {
            return try result.get()
        }
        let array = Array(bytes)
        return try array.withUnsafeBytes { oneShot($0) }.get()
    }

    /// The SHA-256 of `bytes` as lower-case hex.
    public static func hexHash(_ bytes: some Sequence<UInt8>) throws(CryptoError) -> String {
        Hex.encode(try hash(bytes))
    }

    private static func oneShot(_ buffer: UnsafeRawBufferPointer) -> Result<[UInt8], CryptoError> {
        var length: UInt32 = 0
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        let status = out.withUnsafeMutableBufferPointer {
            EVP_Digest(buffer.baseAddress, buffer.count, $0.baseAddress, &length, EVP_sha256(), nil)
        }
        guard status == 1, Int(length) == byteCount else {
            return .failure(CryptoError(code: .digestFailed, function: "EVP_Digest"))
        }
        return .success(Array(out.prefix(byteCount)))
    }
}
