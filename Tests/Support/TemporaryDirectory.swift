package import Foundation

/// A fresh directory for one test's files, under the system's temporary directory, removed
/// when the last reference goes away (or by ``remove()``). Tests share it with the backends
/// and processes they start, so it is a class.
package final class TemporaryDirectory: Sendable {
    /// The directory.
    package let url: URL

    /// Creates the directory.
    package init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tygerkit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// The directory's path.
    package var path: String { url.path }

    /// The path as `pwd` prints it: the temporary directory may sit behind a symlink.
    package var resolvedPath: String { url.resolvingSymlinksInPath().path }

    /// Removes the directory and everything in it now.
    package func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `text` to `relativePath`, creating folders, and returns the file's path.
    @discardableResult
    package func write(_ relativePath: String, _ text: String, mode: Int? = nil) throws -> String {
        try write(relativePath, Data(text.utf8), mode: mode)
    }

    /// Writes `data` to `relativePath`, creating folders, and returns the file's path.
    @discardableResult
    package func write(_ relativePath: String, _ data: Data, mode: Int? = nil) throws -> String {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path) }
        return file.path
    }

    /// Creates the folder `name` in the directory and returns its path.
    package func subdirectory(_ name: String) throws -> String {
        let folder = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }
}
