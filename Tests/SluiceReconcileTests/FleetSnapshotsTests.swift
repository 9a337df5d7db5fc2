import Foundation
import SluiceDomain
@testable import SluiceReconcile
import Synchronization
import Testing

/// The per-region listing shared by every deployment's pass.
@Suite struct FleetSnapshotsTests {
    /// A fleet whose regional listing fails until told otherwise, counting calls.
    final class Listing: InstanceFleet, Sendable {
        let calls = Mutex(0)
        let failing = Mutex(true)
        struct Throttled: Error {}

        func allInstances(region: String) async throws -> [String: [FleetInstance]] {
            calls.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw Throttled() }
            return [:]
        }
        func instances(deployment: UUID, region: String) async throws -> [FleetInstance] { [] }
        func launch(_ launch: InstanceLaunch) async throws -> [FleetInstance] { [] }
        func terminate(_ ids: [String], region: String) async throws {}
        func tagMode(_ ids: [String], mode: DeploymentMode, region: String) async throws {}
    }

    /// A failed listing is answered again for a few seconds: a thousand
    /// deployments' passes against a throttled endpoint make one call, not
    /// a thousand.
    @Test func aFailedListing_isNotRepeatedByEveryPass() async throws {
        let fleet = Listing()
        let snapshots = FleetSnapshots(maxAge: .seconds(10))
        for _ in 0..<50 {
            await #expect(throws: Listing.Throttled.self) {
                try await snapshots.instances(deployment: UUID(), region: "eu-west-1", fleet: fleet)
            }
        }
        #expect(fleet.calls.withLock { $0 } == 1)
        // Another region is asked on its own.
        _ = try? await snapshots.instances(deployment: UUID(), region: "us-east-1", fleet: fleet)
        #expect(fleet.calls.withLock { $0 } == 2)
    }
}

