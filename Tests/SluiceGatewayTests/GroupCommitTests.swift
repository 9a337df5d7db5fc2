@testable import SluiceGateway
import Synchronization
import Testing

@Suite struct GroupCommitTests {
    /// A fake journal: records up to `queued` are written by each write, which takes a while.
    final class FakeDisk: Sendable {
        let queued = Atomic<UInt64>(0)
        let writes = Atomic<Int>(0)
        let failing: Bool
        init(failing: Bool) { self.failing = failing }

        func write() async -> UInt64? {
            writes.add(1, ordering: .relaxed)
            let target = queued.load(ordering: .relaxed)
            try? await Task.sleep(for: .milliseconds(5))
            return failing ? nil : target
        }
    }

    @Test(arguments: [false, true])
    func manyWaiters_shareFewWrites_andAFailedWriteReleasesEveryone(failing: Bool) async {
        let commit = GroupCommit()
        let disk = FakeDisk(failing: failing)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let sequence = disk.queued.add(1, ordering: .relaxed).newValue
                    await commit.waitUntilWritten(sequence) { await disk.write() }
                }
            }
            group.addTask { _ = await commit.exclusive { await disk.write() } }
        }
        #expect(disk.writes.load(ordering: .relaxed) < 60)
        #expect(commit.writtenThrough == (failing ? 0 : 100))
    }
}
