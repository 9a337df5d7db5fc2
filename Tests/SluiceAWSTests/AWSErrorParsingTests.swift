import SluiceAWS
import Testing

/// Error bodies of the three protocols, as the services document them.
@Suite("AWSError parsing")
struct AWSErrorParsingTests {
    @Test func s3RestXML() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>\
            <Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        let error = AWSError.parse(service: "s3", status: 404, headers: [], body: Array(body.utf8))
        #expect(error == AWSError(
            service: "s3", code: "NoSuchKey", message: "The resource you requested does not exist",
            requestID: "4442587FB7D0A2F9", status: 404))
    }

    @Test func ec2Query() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>\
            <Message>The instance ID 'i-1a2b3c4d' does not exist</Message></Error></Errors>\
            <RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>
            """
        let error = AWSError.parse(service: "ec2", status: 400, headers: [], body: Array(body.utf8))
        #expect(error.code == "InvalidInstanceID.NotFound")
        #expect(error.message == "The instance ID 'i-1a2b3c4d' does not exist")
        #expect(error.requestID == "ea966190-f9aa-478e-9ede-example")
        #expect(error.isNotFound)
    }

    @Test func queryErrorResponse() {
        let body = """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>\
            <Code>InvalidIdentityToken</Code><Message>bad token</Message></Error><RequestId>r-1</RequestId></ErrorResponse>
            """
        let error = AWSError.parse(service: "sts", status: 400, headers: [], body: Array(body.utf8))
        #expect(error.code == "InvalidIdentityToken")
        #expect(error.requestID == "r-1")
    }

    @Test func json11() {
        let body = #"{"__type":"com.amazonaws.ecr#RepositoryNotFoundException","message":"no such repository"}"#
        let error = AWSError.parse(
            service: "ecr", status: 400, headers: [("x-amzn-RequestId", "abc-123")], body: Array(body.utf8))
        #expect(error == AWSError(
            service: "ecr", code: "RepositoryNotFoundException", message: "no such repository", requestID: "abc-123", status: 400))
    }

    @Test func headWithoutBody_namesTheStatus_andJunkIsNotFatal() {
        #expect(AWSError.parse(service: "s3", status: 404, headers: [("x-amz-request-id", "R")], body: []).code == "NotFound")
        #expect(AWSError.parse(service: "s3", status: 403, headers: [], body: Array("<Error><Code>".utf8)).code == "Forbidden")
        #expect(AWSError.parse(service: "ecr", status: 418, headers: [], body: Array("{not json".utf8)).code == "HTTP418")
        #expect(AWSError.parse(service: "ecr", status: 400, headers: [("X-Amzn-ErrorType", "ThrottlingException:http://x")], body: []).code == "ThrottlingException")
    }

    @Test func descriptionHidesTheMessage() {
        let error = AWSError(service: "s3", code: "AccessDenied", message: "secret-ish detail", requestID: "R", status: 403)
        #expect(error.description == "AWSError(s3 AccessDenied, status 403)")
        #expect(error.debugDescription.contains("secret-ish detail"))
    }
}
