import Foundation
import SluiceDomain
import Testing

@Suite struct UUIDTextTests {
    @Test func lowercasedStringIsFoundationsFormLowercased() {
        for _ in 0..<10_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(id.uppercasedString == id.uuidString)
            var bytes: [UInt8] = [0x7B]
            id.appendUppercased(to: &bytes)
            #expect(bytes == [0x7B] + Array(id.uuidString.utf8))
        }
        let edges = [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                     UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
        #expect(edges.map(\.lowercasedString) == ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"])
    }
}
