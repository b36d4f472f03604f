public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded default codespec store: one JSON file per version under
/// `<directory>/codespecs/<name>/<version>.json`.
///
/// Several processes may share a directory. A new version is written completely to a
/// temporary file, flushed, and then published with `link(2)`, which fails when the
/// version number is taken: the loser re-reads the latest version and tries again. So two
/// creators never publish different content under one number, no version is lost, and a
/// crash mid-write leaves at most an unpublished temporary file, never a torn version.
///
/// ```swift
/// let store = FileCodespecStore()  // $TYGER_HOME or ~/.tyger
/// let stored = try await store.create(codespec)
/// ```
public struct FileCodespecStore: CodespecStore {
    /// The state directory this store keeps its `codespecs` folder in.
    public let directory: URL

    /// Creates a store in `directory`, `$TYGER_HOME` or `~/.tyger` by default; the directory
    /// is created on first write.
    public init(directory: URL = TygerHome.directory()) {
        self.directory = directory
    }

    private var codespecsDirectory: URL { directory.appendingPathComponent("codespecs", isDirectory: true) }

    private func folder(of name: String) -> URL {
        codespecsDirectory.appendingPathComponent(name, isDirectory: true)
    }

    public func latestVersion(of name: String) async throws -> Codespec? {
        guard let latest = try versionNumbers(in: folder(of: name)).max() else { return nil }
        return try read(name, version: latest)
    }

    public func version(_ version: Int, of name: String) async throws -> Codespec? {
        guard try versionNumbers(in: folder(of: name)).contains(version) else { return nil }
        return try read(name, version: version)
    }

    /// The latest version of each codespec; one that cannot be read does not hide the
    /// others: they are returned in an ``IncompleteListing`` with the problem, naming its file.
    public func latestVersions(_ query: CodespecQuery) async throws -> [Codespec] {
        let names = try entries(of: codespecsDirectory).filter { CodespecName.isValid($0) && query.matches($0) }.sorted()
        var latest: [Codespec] = []
        var problems: [TygerError] = []
        for name in names {
            guard latest.count < query.limit ?? .max else { break }
            do {
                if let version = try versionNumbers(in: folder(of: name)).max() {
                    latest.append(try read(name, version: version))
                }
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { throw IncompleteListing(items: latest, problems: problems) }
        return latest
    }

    public func publish(_ codespec: Codespec) async throws -> Bool {
        guard let name = codespec.name, CodespecName.isValid(name), let version = codespec.version else {
            throw TygerError(.storage, "a published codespec needs a valid name and a version")
        }
        let folder = folder(of: name)
        try makeDirectory(folder)
        return try publish(codespec, version: version, in: folder)
    }

    // MARK: - Files

    private func versionFile(_ name: String, version: Int) -> URL {
        folder(of: name).appendingPathComponent("\(version).json", isDirectory: false)
    }

    private func read(_ name: String, version: Int) throws(TygerError) -> Codespec {
        let file = versionFile(name, version: version)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw TygerError(
                .storage, "cannot read version \(version) of codespec '\(name)' from \(file.path): \(FileErrorText.describe(error))",
                underlying: error)
        }
        do {
            return try JSONDecoder.tygerState.decode(Codespec.self, from: data)
        } catch {
            throw TygerError(
                .storage,
                "version \(version) of codespec '\(name)' in \(file.path) is damaged: \(FileErrorText.describe(error)); "
                    + "restore the file or remove it", underlying: error)
        }
    }

    /// Writes `codespec` to a temporary file and links it to its version's name.
    ///
    /// - Returns: `false` when another creator published that version first.
    private func publish(_ codespec: Codespec, version: Int, in folder: URL) throws(TygerError) -> Bool {
        let target = folder.appendingPathComponent("\(version).json").path
        let temporary = folder.appendingPathComponent(".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        let data: Data
        do {
            data = try JSONEncoder.tygerState.encode(codespec)
        } catch {
            throw TygerError(.storage, "cannot encode codespec version \(version): \(error)", underlying: error)
        }
        try writeDurably(data, to: temporary)
        defer { unlink(temporary) }
        if link(temporary, target) == 0 {
            syncDirectory(folder.path)
            return true
        }
        let code = errno
        if code == EEXIST { return false }
        throw TygerError(.storage, "cannot publish \(target): \(String(cString: strerror(code)))")
    }

    private func writeDurably(_ data: Data, to path: String) throws(TygerError) {
        // Readable by the owner only: a codespec's env may hold secrets.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw systemError("cannot create \(path)") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard written, fsync(descriptor) == 0 else {
            let error = systemError("cannot write \(path)")
            unlink(path)
            throw error
        }
    }

    /// Makes the new directory entry itself durable; failure only weakens durability, so it is not an error.
    private func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private func makeDirectory(_ url: URL) throws(TygerError) {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TygerError(
                .storage, "cannot create the directory \(url.path): \(FileErrorText.describe(error))", underlying: error)
        }
    }

    private func entries(of url: URL) throws(TygerError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return []
        } catch {
            throw TygerError(.storage, "cannot list \(url.path): \(FileErrorText.describe(error))", underlying: error)
        }
    }

    /// The published version numbers in a codespec's folder; temporary files do not count.
    private func versionNumbers(in folder: URL) throws(TygerError) -> [Int] {
        try entries(of: folder).compactMap { entry in
            guard entry.hasSuffix(".json"), let version = Int(entry.dropLast(5)), version > 0 else { return nil }
            return version
        }
    }

    private func systemError(_ what: String) -> TygerError {
        TygerError(.storage, "\(what): \(String(cString: strerror(errno)))")
    }
}
