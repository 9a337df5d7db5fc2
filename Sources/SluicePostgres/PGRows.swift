/// The rows a statement returned, copied out of libpq's result (which is
/// freed before the query returns), plus the number of rows it affected.
///
/// A random-access collection of ``PGRow``; rows share one buffer.
public struct PGRows: RandomAccessCollection, Sendable {
    /// The result columns, in order.
    public var columns: [PGColumn] { storage.columns }
    /// Rows inserted, updated, deleted, copied or selected, from the command
    /// tag (`INSERT 0 3` → 3); 0 for commands that report none.
    public let affectedRows: Int
    /// The command tag, for example `INSERT 0 3` or `SELECT 1`.
    public let commandTag: String

    let storage: Storage

    init(storage: Storage, affectedRows: Int, commandTag: String) {
        self.storage = storage
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// The first row's index, 0.
    public var startIndex: Int { 0 }
    /// The number of rows.
    public var endIndex: Int { storage.rowCount }
    /// The row at `index`.
    public subscript(index: Int) -> PGRow { PGRow(storage: storage, row: index) }

    /// Every value of every row in one byte buffer, with each cell's range.
    final class Storage: Sendable {
        let columns: [PGColumn]
        let columnIndex: [String: Int]
        let rowCount: Int
        let bytes: [UInt8]
        /// Per cell (row-major): start offset into `bytes`, or -1 for NULL.
        let starts: [Int]
        /// Per cell: length in bytes (0 for NULL).
        let lengths: [Int32]

        init(columns: [PGColumn], rowCount: Int, bytes: [UInt8], starts: [Int], lengths: [Int32]) {
            self.columns = columns
            var index: [String: Int] = [:]
            for (position, column) in columns.enumerated() where index[column.name] == nil {
                index[column.name] = position
            }
            self.columnIndex = index
            self.rowCount = rowCount
            self.bytes = bytes
            self.starts = starts
            self.lengths = lengths
        }

        func cellBytes(row: Int, column: Int) -> ArraySlice<UInt8>? {
            let cell = row * columns.count + column
            let start = starts[cell]
            guard start >= 0 else { return nil }
            return bytes[start..<(start + Int(lengths[cell]))]
        }
    }
}

/// One result column: its name and type.
public struct PGColumn: Hashable, Sendable {
    /// The column's name (`SELECT 1 AS n` → `n`).
    public var name: String
    /// The column's type.
    public var type: PGType

    /// A column named `name` of type `type`.
    public init(name: String, type: PGType) {
        self.name = name
        self.type = type
    }
}
