/// Several byte strings laid out NUL-terminated in one buffer, to hand
/// libpq `const char *const *` arrays without one allocation per string.
struct PGCStrings {
    private var buffer: [UInt8] = [0]  // never empty, so it always has a base address
    private var offsets: [Int?] = []

    /// The strings, in order; `nil` entries become NULL pointers.
    init(_ strings: [[UInt8]?]) {
        for string in strings {
            guard let string else {
                offsets.append(nil)
                continue
            }
            offsets.append(buffer.count)
            buffer.append(contentsOf: string)
            buffer.append(0)
        }
    }

    /// Calls `body` with one pointer per string (valid only inside `body`).
    func withPointers<R>(_ body: ([UnsafePointer<CChar>?]) throws -> R) throws -> R {
        try buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { throw PGError(code: .encoding, message: "no parameter buffer") }
            let pointers = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return try body(pointers)
        }
    }
}
