import Foundation
@testable import SluiceAPI
import Testing

@Suite struct PageRequestTests {
    @Test func pageTokensRoundTripAndAreURLSafe() throws {
        for cursor in ["m001", "", "2026-11-27T18:09:32.123456Z|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "é😀?&=+/", String(repeating: "x", count: 300)] {
            let token = PageRequest.encode(cursor)
            #expect(!token.contains(where: { "+/=".contains($0) }))
            #expect(PageRequest.decode(token) == cursor)
            let request = try PageRequest(query: "limit=20&page_token=\(token)")
            #expect(request.after == cursor)
            #expect(request.limit == 20)
        }
        #expect(PageRequest.decode("bm90LW91cnM") == nil)  // "not-ours": no c1: prefix
    }

    @Test func queryParametersDecodeFormEncoding() {
        let parameters = QueryParameters("a=x+y%20z&b=%zz&c&d=1=2&a=second&e=%C3%A9")
        #expect(parameters["a"] == "x y z")
        #expect(parameters["b"] == "%zz")
        #expect(parameters["c"] == "")
        #expect(parameters["d"] == "1=2")
        #expect(parameters["e"] == "é")
        #expect(parameters["missing"] == nil)
        #expect(QueryParameters(nil)["a"] == nil)
    }
}
