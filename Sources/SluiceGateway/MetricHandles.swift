import CoreMetrics
import Synchronization

/// Counters and timers kept by label and dimension values, so that a
/// request looks a handle up in one dictionary instead of asking the
/// metrics factory for it again. Grows with the label sets seen, which the
/// gateway's labels bound (endpoints × deployments × outcomes).
enum MetricHandles {
    /// A metric's label and its dimension values (the names follow from the label).
    struct Key: Hashable {
        var label: String
        var values: (String, String, String, String)

        init(_ label: String, _ first: String, _ second: String, _ third: String = "", _ fourth: String = "") {
            self.label = label
            values = (first, second, third, fourth)
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.label == rhs.label && lhs.values == rhs.values }

        func hash(into hasher: inout Hasher) {
            hasher.combine(label)
            hasher.combine(values.0)
            hasher.combine(values.1)
            hasher.combine(values.2)
            hasher.combine(values.3)
        }
    }

    /// One kind of handle by key, made on first use.
    private final class Cache<Handle: Sendable>: Sendable {
        private let handles = Mutex<[Key: Handle]>([:])

        func handle(_ key: Key, make: () -> Handle) -> Handle {
            if let handle = handles.withLock({ $0[key] }) { return handle }
            // Made outside the lock: the factory takes locks of its own.
            let made = make()
            return handles.withLock { handles in
                if let existing = handles[key] { return existing }
                handles[key] = made
                return made
            }
        }
    }

    private static let counters = Cache<Counter>()
    private static let timers = Cache<Timer>()

    /// The counter of `key`, made with `dimensions` on first use.
    static func counter(_ key: Key, _ dimensions: @autoclosure () -> [(String, String)]) -> Counter {
        counters.handle(key) { Counter(label: key.label, dimensions: dimensions()) }
    }

    /// The timer of `key`, made with `dimensions` on first use.
    static func timer(_ key: Key, _ dimensions: @autoclosure () -> [(String, String)]) -> Timer {
        timers.handle(key) { Timer(label: key.label, dimensions: dimensions()) }
    }
}
