import SluiceAWS
import Testing

/// SHA-256 (FIPS 180-4 examples) and HMAC-SHA256 (RFC 4231) over libcrypto.
@Suite("SHA-256 and HMAC-SHA256")
struct DigestTests {
    static let sha256Vectors: [(message: String, hex: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test(arguments: sha256Vectors)
    func oneShotSHA256_matchesFIPSExamples(message: String, hex: String) throws {
        #expect(try SHA256.hexHash(message.utf8) == hex)
        #expect(Hex.encode(try SHA256.hash(Array(message.utf8))) == hex)
    }

    @Test func incrementalSHA256_overAMillionAs_matchesFIPSExample() throws {
        var digest = try SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            digest.update(chunk)
        }
        #expect(Hex.encode(try digest.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalSHA256_inUnevenChunks_equalsOneShot() throws {
        var generator = SplitMix64(seed: 42)
        let bytes = (0..<100_003).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        var digest = try SHA256()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 0...4099, using: &generator))
            digest.update(bytes[start..<end])
            start = end
        }
        #expect(try digest.finalize() == (try SHA256.hash(bytes)))
    }

    @Test func emptyHashConstant_isSHA256OfNothing() throws {
        var digest = try SHA256()
        digest.update([UInt8]())
        #expect(Hex.encode(try digest.finalize()) == SHA256.emptyHash)
    }

    /// RFC 4231 §4: test cases 1, 2, 3, 4, 6 and 7 (5 truncates the output).
    static let hmacVectors: [(key: [UInt8], message: [UInt8], hex: String)] = [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            Array(1...25), [UInt8](repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. "
                    + "The key needs to be hashed before being used by the HMAC algorithm.").utf8
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test(arguments: hmacVectors)
    func hmacSHA256_matchesRFC4231(key: [UInt8], message: [UInt8], hex: String) throws {
        #expect(Hex.encode(try HMACSHA256.authenticationCode(for: message, key: key)) == hex)
    }

    @Test func hmacSHA256_acceptsEmptyKeyAndMessage() throws {
        // Python: hmac.new(b"", b"", sha256).hexdigest()
        #expect(
            Hex.encode(try HMACSHA256.authenticationCode(for: [UInt8](), key: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        )
    }

    @Test func hex_isLowerCaseTwoDigitsPerByte() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
    }
}
