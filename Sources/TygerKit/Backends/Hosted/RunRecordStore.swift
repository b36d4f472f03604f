package import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The local backend's durable state: one folder per run under `<directory>/runs/<id>/`,
/// readable by its owner only (it holds codespec `env` values):
///
/// - `run.json`: the record, replaced atomically, so readers never see half of it;
/// - `logs`: the merged log, one line per line a program wrote, with its time;
/// - `events`: what happened to the run and why, one JSON object per line;
/// - `tags.json`: the run's tags once changed after creation (by any process, under
///   `flock(2)` on the folder), which replace the record's;
/// - `host`: which process executes the run (pid and start time);
/// - `cancel`: present once another process asked for cancellation;
/// - `discovery/<VARIABLE>`: the worker lists too long for the environment;
/// - `reserve`: space set aside so that the final record can be written on a full disk.
///
/// Run IDs come from `runs/.last-id`, a counter updated under `flock(2)`, so concurrent
/// processes never share an ID and an ID is never handed out twice, even after its
/// folder was deleted. Only the hosting process writes a run's folder, and it writes
/// through a descriptor of the folder it created (see ``RunFolder``), never by path.
package struct RunRecordStore: Sendable {
    package let runsDirectory: URL

    package init(directory: URL) {
        runsDirectory = directory.appendingPathComponent("runs", isDirectory: true)
    }

    package func folderURL(_ id: RunID) -> URL { runsDirectory.appendingPathComponent(id.description, isDirectory: true) }
    func logFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.logName) }
    func eventsFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.eventsName) }
    private func tagsFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.tagsName) }
    func recordFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.recordName) }
    private func hostFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.hostName) }
    private func cancelFile(_ id: RunID) -> URL { folderURL(id).appendingPathComponent(RunFolder.cancelName) }
    private var counterFile: URL { runsDirectory.appendingPathComponent(".last-id") }

    // MARK: - Creating

    /// Takes the next run ID and creates its folder, open for the host's writes.
    package func create() throws(TygerError) -> RunFolder {
        try makeRunsDirectory()
        let counter = open(counterFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard counter >= 0 else { throw systemError("cannot open the run counter \(counterFile.path)") }
        defer { close(counter) }
        guard flock(counter, LOCK_EX) == 0 else { throw systemError("cannot lock the run counter \(counterFile.path)") }
        defer { flock(counter, LOCK_UN) }
        var candidate = try nextID(counter: counter)
        while let id = candidate {
            if mkdir(folderURL(id).path, 0o700) == 0 {
                try storeLastID(id, counter: counter)
                return try RunFolder(id: id, url: folderURL(id))
            }
            guard errno == EEXIST else { throw systemError("cannot create \(folderURL(id).path)") }
            candidate = id.next
        }
        throw TygerError(
            .storage,
            "no run ID is left in \(runsDirectory.path): the counter in \(counterFile.path) has reached \(Int.max)")
    }

    /// The ID after the one in the counter; without a counter (a store from before it
    /// existed), after the largest run that has a record.
    private func nextID(counter: Int32) throws(TygerError) -> RunID? {
        let text = readAll(counter)
        if let last = RunID(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return last.next }
        guard text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw TygerError(
                .storage,
                "the run counter \(counterFile.path) holds \(quoted(text)), not a run ID; "
                    + "write the largest run ID there, or delete it to count from the runs present")
        }
        let recorded = try runIDs().first { FileManager.default.fileExists(atPath: recordFile($0).path) }
        return recorded.map { $0.next } ?? RunID.first
    }

    private func storeLastID(_ id: RunID, counter: Int32) throws(TygerError) {
        let text = Array("\(id)\n".utf8)
        guard ftruncate(counter, 0) == 0, pwrite(counter, text, text.count, 0) == text.count else {
            throw systemError("cannot update the run counter \(counterFile.path)")
        }
    }

    private func readAll(_ descriptor: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        return count > 0 ? String(decoding: bytes[..<count], as: UTF8.self) : ""
    }

    private func makeRunsDirectory() throws(TygerError) {
        do {
            try FileManager.default.createDirectory(
                at: runsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TygerError(
                .storage, "cannot create \(runsDirectory.path): \(FileErrorText.describe(error))", underlying: error)
        }
    }

    // MARK: - Reading

    /// The record of run `id`.
    ///
    /// - Throws: `runNotFound` when there is no such run; `storage` naming the file when it
    ///   cannot be read or decoded.
    package func read(_ id: RunID) throws(TygerError) -> Run {
        let file = recordFile(id)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            throw RunID.notFound(id)
        } catch {
            throw TygerError(.storage, "cannot read \(file.path): \(FileErrorText.describe(error))", underlying: error)
        }
        do {
            return try JSONDecoder.tygerState.decode(Run.self, from: data)
        } catch {
            throw TygerError(
                .storage, "the record \(file.path) is damaged: \(FileErrorText.describe(error)); restore it or remove its folder",
                underlying: error)
        }
    }

    /// Run IDs that have a folder, newest first.
    package func runIDs() throws(TygerError) -> [RunID] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return []
        } catch {
            throw TygerError(
                .storage, "cannot list \(runsDirectory.path): \(FileErrorText.describe(error))", underlying: error)
        }
        return entries.compactMap { RunID($0) }.sorted(by: >)
    }

    /// Whether the process that executes the run is alive: a reused pid does not count,
    /// and neither does a zombie (it executes nothing, whoever fails to reap it).
    package func isHostAlive(_ id: RunID) -> Bool {
        guard let text = try? String(contentsOf: hostFile(id), encoding: .utf8) else { return false }
        return HostProcess.isAlive(identity: text)
    }

    /// When the run's record or log last changed: what its host last did.
    func lastWrite(_ id: RunID) -> Date? {
        [recordFile(id), logFile(id)].compactMap { url in
            (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        }.max()
    }

    // MARK: - Tags

    /// `run` with the tags set since it was created, if any were.
    func applyingTags(to run: Run) throws(TygerError) -> Run {
        let file = tagsFile(run.id)
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return run
        } catch {
            throw TygerError(.storage, "cannot read \(file.path): \(FileErrorText.describe(error))", underlying: error)
        }
        var tagged = run
        do {
            tagged.spec = try run.spec.replacingTags(JSONDecoder.tygerState.decode([String: String].self, from: data))
        } catch {
            throw TygerError(
                .storage, "the tags \(file.path) are damaged: \(FileErrorText.describe(error)); fix or remove the file",
                underlying: error)
        }
        return tagged
    }

    /// Replaces the tags of the run `current` reads, only if its eTag is still `eTag` when
    /// given. Every process takes the folder's lock first, so two changes never interleave.
    func replaceTags(
        of id: RunID, with tags: [String: String], ifMatch eTag: String?, current: () throws(TygerError) -> Run
    ) throws(TygerError) -> Run {
        let folder = open(folderURL(id).path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else {
            if errno == ENOENT { throw RunID.notFound(id) }
            throw systemError("cannot open the folder of run \(id)")
        }
        defer { close(folder) }
        guard flock(folder, LOCK_EX) == 0 else { throw systemError("cannot lock the folder of run \(id)") }
        defer { flock(folder, LOCK_UN) }
        var run = try current()
        if let eTag, eTag != run.eTag { throw Run.staleETag(id, given: eTag, current: run.eTag) }
        run.spec = try run.spec.replacingTags(tags)
        let data: Data
        do {
            data = try JSONEncoder.tygerState.encode(SortedStringMap(tags))
        } catch {
            throw TygerError(.storage, "cannot encode the tags of run \(id): \(error)", underlying: error)
        }
        try RunFolder.replace(RunFolder.tagsName, in: folder, with: data, describing: folderURL(id).path)
        return run
    }

    /// Asks the host of run `id` to cancel it.
    package func requestCancel(_ id: RunID) throws(TygerError) {
        let descriptor = open(cancelFile(id).path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw systemError("cannot request cancellation of run \(id)") }
        close(descriptor)
    }

    private func systemError(_ what: String) -> TygerError {
        TygerError(.storage, "\(what): \(FileErrorText.errno(errno))")
    }
}

/// What `/proc/PID/stat` says about a process.
package enum HostProcess {
    struct Stat {
        var startTime: UInt64
        var isZombie: Bool
    }

    static func stat(of pid: Int32) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let endOfName = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": field 3 is the state, field 22 the start time in clock ticks.
        let fields = text[text.index(after: endOfName)...].split(separator: " ")
        guard fields.count > 19, let started = UInt64(fields[19]) else { return nil }
        return Stat(startTime: started, isZombie: fields[0] == "Z" || fields[0] == "X")
    }

    /// Whether the process `identity` (``currentIdentity`` of some process) names is alive:
    /// a reused pid does not count, and neither does a zombie.
    package static func isAlive(identity: String) -> Bool {
        let parts = identity.split(separator: " ")
        guard parts.count == 2, let pid = Int32(parts[0]), let started = UInt64(parts[1]) else { return false }
        guard let stat = stat(of: pid) else { return false }
        return stat.startTime == started && !stat.isZombie
    }

    /// `pid start-time` for this process, as the `host` file records it.
    package static var currentIdentity: String {
        let pid = getpid()
        return "\(pid) \(stat(of: pid)?.startTime ?? 0)"
    }
}
