import SluiceDomain
import Testing

/// `IngestRules.isLabel`: 1–256 UTF-8 bytes and no control character (Cc),
/// ASCII checked by bytes and the rest by Unicode's tables.
@Suite struct IngestRulesTests {
    @Test func labelsAreShortAndFreeOfControlCharacters() {
        for label in ["a", "fraud", "maybe\"q", "héllo", "猫", "🐟", String(repeating: "x", count: 256), "a b", "\u{A0}"] {
            #expect(IngestRules.isLabel(label), "\(label)")
        }
        for label in ["", String(repeating: "x", count: 257), String(repeating: "é", count: 129), "a\tb", "\n", "\u{00}", "x\u{7F}",
                      "é\u{85}", "\u{9F}", "猫\u{1B}"] {
            #expect(!IngestRules.isLabel(label), "\(label.unicodeScalars.map(\.value))")
        }
    }

    @Test func theByteCheckAgreesWithUnicodeOnEveryASCIIScalar() {
        for value in 0..<0x80 {
            let scalar = Unicode.Scalar(UInt8(value))
            #expect(IngestRules.isLabel("a" + String(scalar)) == (scalar.properties.generalCategory != .control), "\(value)")
        }
    }
}
