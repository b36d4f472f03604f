package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder of one run, as its hosting process holds it: every write goes through a
/// descriptor of the folder it created, so a folder deleted (and perhaps created again by
/// another run) while the run goes on is never written by this host; its writes fail
/// instead, and the run ends.
package final class RunFolder: Sendable {
    static let recordName = "run.json"
    static let logName = "logs"
    static let eventsName = "events"
    static let tagsName = "tags.json"
    static let hostName = "host"
    static let cancelName = "cancel"
    static let reserveName = "reserve"
    package static let discoveryName = "discovery"

    /// Space kept for the record: when the disk fills, the reserve is freed so the final
    /// status can still be written.
    private static let reserveBytes = 1 << 20

    package let id: RunID
    package let url: URL
    private let descriptor: Int32

    init(id: RunID, url: URL) throws(TygerError) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TygerError(.storage, "cannot open \(url.path): \(FileErrorText.errno(errno))")
        }
        self.id = id
        self.url = url
        self.descriptor = descriptor
        makeReserve()
    }

    deinit { close(descriptor) }

    /// Removes the folder: for a run that failed before it had a record.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    // MARK: - Record

    /// Replaces the record atomically. On a full disk, frees the reserve and tries again.
    func write(_ run: Run) throws(TygerError) {
        let data: Data
        do {
            data = try JSONEncoder.tygerState.encode(run)
        } catch {
            throw TygerError(.storage, "cannot encode the record of run \(id): \(error)", underlying: error)
        }
        do {
            try replace(Self.recordName, with: data)
        } catch where error.systemErrorNumber == ENOSPC || error.systemErrorNumber == EDQUOT {
            _ = unlinkat(descriptor, Self.reserveName, 0)
            try replace(Self.recordName, with: data)
        }
    }

    /// Records this process as the run's host.
    func recordHost() throws(TygerError) {
        try replace(Self.hostName, with: Data(HostProcess.currentIdentity.utf8))
    }

    /// Whether another process asked for the run to be canceled.
    var isCancelRequested: Bool {
        faccessat(descriptor, Self.cancelName, F_OK, 0) == 0
    }

    /// Whether the folder is still where the run's readers look for it.
    var isInPlace: Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, stat(url.path, &named) == 0 else { return false }
        return opened.st_ino == named.st_ino && opened.st_dev == named.st_dev
    }

    // MARK: - Files

    /// Opens one of the run's files for appending (created readable by its owner only).
    func openForAppending(_ name: String) throws(TygerError) -> Int32 {
        let file = openat(descriptor, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard file >= 0 else {
            throw TygerError(.storage, "cannot create \(name) of run \(id) in \(url.path): \(FileErrorText.errno(errno))")
        }
        return file
    }

    /// Writes each list into the `discovery` folder and returns the files' absolute paths,
    /// by variable. Each file is written atomically, so a job never reads half a list.
    func writeDiscoveryFiles(_ files: [DiscoveryVariables.ListFile]) throws(TygerError) -> [String: String] {
        if mkdirat(descriptor, Self.discoveryName, 0o700) != 0, errno != EEXIST {
            throw TygerError(
                .storage, "cannot create the worker lists folder of run \(id): \(FileErrorText.errno(errno))")
        }
        let folder = openat(descriptor, Self.discoveryName, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else {
            throw TygerError(.storage, "cannot open the worker lists folder of run \(id): \(FileErrorText.errno(errno))")
        }
        defer { close(folder) }
        var paths: [String: String] = [:]
        let folderPath = url.appendingPathComponent(Self.discoveryName).standardizedFileURL.path
        for file in files {
            try Self.replace(file.fileName, in: folder, with: Data(file.contents.utf8), describing: "\(folderPath)")
            paths[file.variable] = folderPath + "/" + file.fileName
        }
        return paths
    }

    // MARK: - Writing

    private func replace(_ name: String, with data: Data) throws(TygerError) {
        try Self.replace(name, in: descriptor, with: data, describing: url.path)
    }

    /// Writes `data` to a temporary file in `folder`, then renames it over `name`.
    static func replace(_ name: String, in folder: Int32, with data: Data, describing path: String)
        throws(TygerError)
    {
        let temporary = ".\(name).\(getpid()).tmp"
        let file = openat(folder, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw failure(errno, writing: name, in: path) }
        let written = data.withUnsafeBytes { buffer -> Int32 in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(file, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return 0
        }
        close(file)
        guard written == 0 else {
            _ = unlinkat(folder, temporary, 0)
            throw failure(written, writing: name, in: path)
        }
        guard renameat(folder, temporary, folder, name) == 0 else {
            let code = errno
            _ = unlinkat(folder, temporary, 0)
            throw failure(code, writing: name, in: path)
        }
    }

    private static func failure(_ code: Int32, writing name: String, in path: String) -> TygerError {
        TygerError(
            .storage, "cannot write \(path)/\(name): \(FileErrorText.errno(code))",
            underlying: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }

    /// Sets space aside for the final record; on a disk too full for even that, goes without.
    private func makeReserve() {
        let file = openat(descriptor, Self.reserveName, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard file >= 0 else { return }
        if posix_fallocate(file, 0, off_t(Self.reserveBytes)) != 0 {
            _ = unlinkat(descriptor, Self.reserveName, 0)
        }
        close(file)
    }
}

extension TygerError {
    /// The `errno` behind a storage error, when there is one.
    var systemErrorNumber: Int32 {
        (underlying as? POSIXError)?.code.rawValue ?? 0
    }
}

/// `write(2)`, named apart from the methods called `write`.
func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// `close(2)`, named apart from the methods called `close`.
func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}
