public import Foundation
import Synchronization

/// Folders that tests make under the system's temporary directory and that
/// outlive a single test (a CLI's HOME, a migrations folder, an emulator's
/// log): removed when the test process exits, so repeated runs leave no
/// litter in `/tmp`.
public enum TemporaryFolders {
    private static let made = Mutex<[URL]>([])

    /// A new, empty folder named `prefix-<uuid>`.
    public static func make(_ prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let isFirst = made.withLock { folders in
            folders.append(folder)
            return folders.count == 1
        }
        // Exit handlers run last-registered first: processes that tests
        // start (and stop at exit) are gone before their folders are.
        if isFirst { atexit { TemporaryFolders.removeAll() } }
        return folder
    }

    private static func removeAll() {
        for folder in made.withLock({ $0 }) { try? FileManager.default.removeItem(at: folder) }
    }
}
