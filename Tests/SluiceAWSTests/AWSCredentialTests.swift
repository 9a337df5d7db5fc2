import Foundation
import SluiceAWS
import Testing

@Suite("AWSCredential")
struct AWSCredentialTests {
    static let credential = AWSCredential(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN",
        expiration: Date(timeIntervalSince1970: 1_440_938_160)
    )

    @Test func everyPrintedForm_redactsSecretAndToken() {
        var dumped = ""
        dump(Self.credential, to: &dumped)
        let forms = [
            Self.credential.description,
            Self.credential.debugDescription,
            "\(Self.credential)",
            String(reflecting: Self.credential),
            dumped,
        ]
        for form in forms {
            #expect(form.contains("AKIDEXAMPLE"))
            #expect(form.contains("<redacted>"))
            #expect(!form.contains("wJalrXUtnFEMI"))
            #expect(!form.contains("EXAMPLETOKEN"))
        }
    }

    @Test func longTermKey_printsNoTokenAsNil() {
        let credential = AWSCredential(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret")
        #expect(credential.description.contains("sessionToken: nil"))
        #expect(!credential.description.contains("secret,"))
    }
}
