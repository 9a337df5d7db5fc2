public import Foundation

/// One migration: a file `NNNN_name.sql` in the migrations directory.
public struct PGMigration: Hashable, Sendable {
    /// The number before the first `_`, for example 3 for `0003_add_index.sql`.
    public var version: Int
    /// The rest of the name, for example `add_index`.
    public var name: String
    /// The file name, for example `0003_add_index.sql`.
    public var fileName: String
    /// The SQL text, run as one script inside the migration's transaction.
    public var sql: String

    /// A migration from its parts.
    public init(version: Int, name: String, fileName: String, sql: String) {
        self.version = version
        self.name = name
        self.fileName = fileName
        self.sql = sql
    }

    /// Every `*.sql` file in `directory`, ordered by version. A `.sql` file
    /// whose name is not `<digits>_<name>.sql`, two files with one version,
    /// or a file that is not UTF-8 throws ``PGError/Code/migration`` naming it.
    public static func load(from directory: URL) throws -> [PGMigration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PGError(code: .migration, message: "cannot read the migrations directory \(directory.path)")
        }
        var migrations: [Int: PGMigration] = [:]
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                  stem[..<underscore].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let version = Int(stem[..<underscore]),
                  !stem[stem.index(after: underscore)...].isEmpty else {
                throw PGError(code: .migration, message: "\(fileName): a migration is named NNNN_name.sql")
            }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path),
                  let sql = String(data: data, encoding: .utf8), !sql.utf8.contains(0) else {
                throw PGError(code: .migration, message: "\(fileName): not readable UTF-8 text")
            }
            if let other = migrations[version] {
                throw PGError(code: .migration, message: "\(other.fileName) and \(fileName) have the same version \(version)")
            }
            let name = String(stem[stem.index(after: underscore)...])
            migrations[version] = PGMigration(version: version, name: name, fileName: fileName, sql: sql)
        }
        return migrations.values.sorted { $0.version < $1.version }
    }
}

/// Which migrations a database has, for readiness checks.
public struct PGMigrationStatus: Hashable, Sendable {
    /// Versions applied, ascending.
    public var applied: [Int]
    /// Migrations in the directory not applied yet, in order.
    public var pending: [PGMigration]
    /// Whether every migration in the directory is applied.
    public var isUpToDate: Bool { pending.isEmpty }
}
