internal import COpenSSL

/// HMAC-SHA256 (RFC 2104) through libcrypto's one-shot `HMAC()` with `EVP_sha256()`.
public enum HMACSHA256 {
    /// The length of an HMAC-SHA256 code in bytes: 32.
    public static let byteCount = 32

    /// The HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(
        for message: some Sequence<UInt8>,
        key: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let result: Result<[UInt8], CryptoError>
        if let done = message.withContiguousStorageIfAvailable({ mac(UnsafeRawBufferPointer($0), key: key) }) {
            result = done
        } else {
            let array = Array(message)
            result = array.withUnsafeBytes { mac($0, key: key) }
        }
        return try result.get()
    }

    private static func mac(_ message: UnsafeRawBufferPointer, key: [UInt8]) -> Result<[UInt8], CryptoError> {
        guard let keyLength = Int32(exactly: key.count) else {
            return .failure(CryptoError(code: .macFailed, function: "HMAC (key longer than Int32.max)"))
        }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // An empty array or buffer may have no base address; libcrypto wants a
        // real pointer even for a zero length, so point at a spare byte then.
        var spare: UInt8 = 0
        let produced = withUnsafeMutablePointer(to: &spare) { sparePointer in
            key.withUnsafeBytes { keyBytes in
                out.withUnsafeMutableBufferPointer { outBytes in
                    HMAC(
                        EVP_sha256(),
                        keyBytes.baseAddress ?? UnsafeRawPointer(sparePointer),
                        keyLength,
                        message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(sparePointer),
                        message.count,
                        outBytes.baseAddress,
                        &length
                    )
                }
            }
        }
        guard produced != nil, Int(length) == byteCount else {
            return .failure(CryptoError(code: .macFailed, function: "HMAC"))
        }
        return .success(Array(out.prefix(byteCount)))
    }
}
