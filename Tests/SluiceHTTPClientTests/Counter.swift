import SluiceHTTP
import Synchronization

/// A thread-safe counter for responders.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func next() -> Int { count.withLock { $0 += 1; return $0 } }
}

enum ClosureResponderFactory {
    /// Answers 503 to the first `first` requests, then 200.
    static func failing(first: Int, counter: Counter) -> ClosureResponder {
        ClosureResponder { _ in
            counter.next() <= first ? HTTPResponse(status: HTTPStatus(code: 503)) : HTTPResponse(status: .ok)
        }
    }
}
