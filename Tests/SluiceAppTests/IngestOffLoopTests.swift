import Foundation
import Logging
@testable import SluiceAPI
import SluiceDomain
import SluiceHTTP
import SluiceSockets
import Synchronization
import Testing

/// Large ingest bodies are parsed and stored off the event loop that
/// received them (decision 65); small ones stay on it.
@Suite(.timeLimit(.minutes(1))) struct IngestOffLoopTests {
    /// An ``MLDataStore`` that records whether each ingest ran on an event loop.
    final class LoopRecordingStore: MLDataStore {
        let onLoop = Mutex<[Bool]>([])

        func ingest(predictions: [Prediction]) async throws -> IngestResult {
            let here = EventLoop.current != nil
            onLoop.withLock { $0.append(here) }
            return IngestResult(accepted: predictions.count, duplicates: 0)
        }

        func ingest(outcomes: [Outcome]) async throws -> IngestResult {
            let here = EventLoop.current != nil
            onLoop.withLock { $0.append(here) }
            return IngestResult(accepted: outcomes.count, duplicates: 0)
        }

        func scoreboard(region: String, endpoint: String, since: Date, until: Date, exact: Bool) async throws -> Scoreboard {
            throw DomainError.notFound("not in this test")
        }

        func paired(region: String, endpoint: String, since: Date, until: Date, live: UUID) async throws
            -> [UUID: [ScoreMetric: PairedComparison]] { [:] }

        func firstPrediction(region: String, endpoint: String, deployment: UUID) async throws -> Date? { nil }

        func task(ofModel model: String) async throws -> ModelTask { .regression }

        func applyRetention(now: Date) async throws -> Int { 0 }
    }

    static let at = Date().addingTimeInterval(-60).ISO8601Format()

    static func body(predictions count: Int) -> [UInt8] {
        let items = (0..<count).map { i in
            #"{"deployment_id":"00000000-0000-0000-0000-000000000001","request_id":"r\#(i)","output":\#(i),"latency_ms":1,"at":"\#(at)"}"#
        }
        return Array(("[" + items.joined(separator: ",") + "]").utf8)
    }

    static func body(outcomes count: Int) -> [UInt8] {
        let items = (0..<count).map { #"{"region":"eu-west-1","endpoint":"churn","request_id":"r\#($0)","actual":1,"at":"\#(at)"}"# }
        return Array(("[" + items.joined(separator: ",") + "]").utf8)
    }

    @Test func largeBodiesLeaveTheLoop_smallOnesStay() async throws {
        let store = LoopRecordingStore()
        let controller = DataStoreController(store: store)
        var context = RequestContext(logger: Logger(label: "test"))
        context.values[RequestContext.callerKey] = APIToken(id: UUID(), name: "t", role: .scientist, createdAt: Date())
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let small = Self.body(predictions: 3)
        let large = Self.body(predictions: 2_000)
        #expect(small.count < DataStoreController.offLoopBodySize)
        #expect(large.count >= DataStoreController.offLoopBodySize)
        let requests = [
            (HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/predictions"), body: small), true),
            (HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/predictions"), body: large), true),
            (HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/outcomes"), body: Self.body(outcomes: 3)), false),
            (HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/outcomes"), body: Self.body(outcomes: 2_000)), false),
        ]
        for (request, isPredictions) in requests {
            let status = try await Task(executorPreference: group.loops[0]) { [context] in
                #expect(EventLoop.current === group.loops[0])
                let response = isPredictions
                    ? try await controller.predictions(request, context) : try await controller.outcomes(request, context)
                // Back on the loop for whatever the handler does next.
                #expect(EventLoop.current === group.loops[0])
                return response.status
            }.value
            #expect(status == .ok)
        }
        #expect(store.onLoop.withLock { $0 } == [true, false, true, false])
    }
}
