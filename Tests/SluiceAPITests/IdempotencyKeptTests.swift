@testable import SluiceAPI
import SluiceHTTP
import Testing

/// Which first answers an `Idempotency-Key` keeps for good (decision 78):
/// those after which the request may have taken effect.
@Suite struct IdempotencyKeptTests {
    @Test(arguments: [
        (200, nil, true), (201, nil, true), (204, nil, true),
        (400, nil, false), (404, nil, false), (409, "1", false), (412, nil, false), (422, nil, false),
        (500, nil, true), (501, nil, true), (502, nil, true), (504, nil, true),
        (503, nil, true), (503, "5", false),
    ] as [(Int, String?, Bool)])
    func kept_whenTheRequestMayHaveTakenEffect(status: Int, retryAfter: String?, kept: Bool) {
        var headers: HTTPHeaders = [:]
        if let retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
        let response = HTTPResponse(status: HTTPStatus(code: status), headers: headers, body: [])
        #expect(IdempotencyMiddleware.isKept(response) == kept)
    }
}
