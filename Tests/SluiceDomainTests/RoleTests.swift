import SluiceDomain
import Testing

@Suite struct RoleTests {
    @Test func roles_areOrderedByPrivilege() {
        #expect(Role.allCases.sorted() == [.viewer, .scientist, .deployer, .admin])
        #expect(Role.viewer < .scientist && Role.scientist < .deployer && Role.deployer < .admin)
    }

    @Test func eachRole_satisfiesItselfAndEveryLowerRole() {
        for caller in Role.allCases {
            for required in Role.allCases {
                #expect(caller.satisfies(required) == (caller >= required), "\(caller) vs \(required)")
            }
        }
        #expect(!Role.deployer.satisfies(.admin))
        #expect(Role.admin.satisfies(.viewer))
    }

    @Test func roles_parseFromTheirWireNames() {
        #expect(Role(rawValue: "scientist") == .scientist)
        #expect(Role(rawValue: "Admin") == nil)
    }
}

@Suite struct ResourceNameTests {
    @Test(arguments: ["a", "ci-bot", "a1", String(repeating: "x", count: 63)])
    func validNames_areAccepted(name: String) {
        #expect(ResourceName.isValid(name))
    }

    @Test(arguments: ["", "-a", "a-", "A", "a_b", "a b", String(repeating: "x", count: 64), "é"])
    func invalidNames_areRefused(name: String) {
        #expect(!ResourceName.isValid(name))
    }
}

@Suite struct TokenSecretTests {
    @Test func secrets_areBase64URLOf32BytesAndDistinct() {
        let a = APIToken.generateSecret()
        let b = APIToken.generateSecret()
        #expect(a.count == 43)
        #expect(a != b)
        #expect(a.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }
}
