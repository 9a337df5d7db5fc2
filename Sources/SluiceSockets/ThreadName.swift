import CSluiceSystem

/// Names the calling thread, so `top -H`, `ps -L` and `perf` tell a
/// library's threads apart (unnamed, they inherit the name of the thread
/// that started them, often a Dispatch worker's).
public enum ThreadName {
    /// Linux keeps 15 bytes of a thread's name (16 with the NUL).
    static let limit = 15

    /// Names the calling thread `name`, cut to ``limit`` bytes on a
    /// character boundary.
    public static func set(_ name: String) {
        var bytes: [CChar] = []
        for character in name {
            let utf8 = Array(character.utf8)
            guard bytes.count + utf8.count <= limit else { break }
            bytes.append(contentsOf: utf8.map { CChar(bitPattern: $0) })
        }
        bytes.append(0)
        _ = sluice_thread_setname(bytes)
    }

    /// The calling thread's name.
    public static func current() -> String {
        var buffer = [CChar](repeating: 0, count: limit + 1)
        guard sluice_thread_getname(&buffer, buffer.count) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
