import Foundation
import Logging
import SluiceDomain

/// Makes sure someone can administer a fresh installation (DESIGN.md §2):
/// `SLUICE_ADMIN_TOKEN`'s hash is stored as the `bootstrap-admin` token;
/// without it, when no active admin token exists, one is generated and
/// printed once on stdout as `admin token: <token>`. Never logged.
enum AdminBootstrap {
    static func run(store: any TokenStore, adminToken: String?, logger: Logger) async throws {
        if let secret = adminToken {
            switch try await store.bootstrapAdmin(secret: secret, onlyIfNoActiveAdmin: false) {
            case .created:
                logger.notice("bootstrap admin token stored", metadata: ["source": "SLUICE_ADMIN_TOKEN"])
            case .revoked:
                logger.warning("SLUICE_ADMIN_TOKEN names a revoked token; set a new one to regain admin access")
            case .existing, .skipped:
                break
            }
            return
        }
        let secret = APIToken.generateSecret()
        if try await store.bootstrapAdmin(secret: secret, onlyIfNoActiveAdmin: true) == .created {
            // Standard output only, once: the operator's copy. The log says where to look.
            FileHandle.standardOutput.write(Data("admin token: \(secret)\n".utf8))
            logger.notice("no admin token existed; generated one and printed it on standard output")
        }
    }
}
