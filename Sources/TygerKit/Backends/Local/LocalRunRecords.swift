import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The local backend's durable state: one folder per run under `<directory>/runs/<id>/`
/// holding `run.json` (the record), `logs` (merged log lines), `host` (which process
/// executes the run), when another process asks for it, `cancel`, and for a run with more
/// workers than the environment can list, `discovery/<VARIABLE>` files holding the lists
/// (see ``DiscoveryVariables``).
///
/// The files let `tyger run show`, `logs` and `cancel` work from any process, while only the
/// hosting process changes a run's record.
struct LocalRunRecords: Sendable {
    let runsDirectory: URL

    init(directory: URL) {
        runsDirectory = directory.appendingPathComponent("runs", isDirectory: true)
    }

    func folder(_ id: RunID) -> URL { runsDirectory.appendingPathComponent(id.description, isDirectory: true) }
    func logFile(_ id: RunID) -> URL { folder(id).appendingPathComponent("logs") }
    /// Where the discovery lists too long for the environment are written.
    func discoveryFolder(_ id: RunID) -> URL { folder(id).appendingPathComponent("discovery", isDirectory: true) }
    private func recordFile(_ id: RunID) -> URL { folder(id).appendingPathComponent("run.json") }
    private func hostFile(_ id: RunID) -> URL { folder(id).appendingPathComponent("host") }
    private func cancelFile(_ id: RunID) -> URL { folder(id).appendingPathComponent("cancel") }

    /// Reserves the next run number; `mkdir` fails for a taken number, so concurrent
    /// processes never share one.
    func allocateID() throws(TygerError) -> RunID {
        do {
            try FileManager.default.createDirectory(at: runsDirectory, withIntermediateDirectories: true)
        } catch {
            throw TygerError(.storage, "cannot create \(runsDirectory.path): \(error)", underlying: error)
        }
        var candidate = try runIDs().first.map { $0.next } ?? RunID.first
        while let id = candidate {
            if mkdir(folder(id).path, 0o755) == 0 { return id }
            guard errno == EEXIST else {
                throw TygerError(.storage, "cannot create \(folder(id).path): \(String(cString: strerror(errno)))")
            }
            candidate = id.next
        }
        throw TygerError(.storage, "no run ID is left in \(runsDirectory.path): the largest, \(Int.max), is taken")
    }

    /// Replaces the record atomically, so readers never see half of it.
    func write(_ run: Run) throws(TygerError) {
        do {
            let data = try JSONEncoder.tygerState.encode(run)
            try data.write(to: recordFile(run.id), options: .atomic)
        } catch {
            throw TygerError(.storage, "cannot write the record of run \(run.id): \(error)", underlying: error)
        }
    }

    /// Writes each list into ``discoveryFolder(_:)`` and returns the files' absolute paths, by
    /// variable. Each file is written atomically, so a job never reads half a list.
    func writeDiscoveryFiles(_ id: RunID, _ files: [DiscoveryVariables.ListFile]) throws(TygerError)
        -> [String: String]
    {
        let folder = discoveryFolder(id).standardizedFileURL
        var paths: [String: String] = [:]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in files {
                let url = folder.appendingPathComponent(file.fileName, isDirectory: false)
                try Data(file.contents.utf8).write(to: url, options: .atomic)
                paths[file.variable] = url.path
            }
        } catch {
            throw TygerError(
                .storage, "cannot write the worker lists of run \(id) to \(folder.path): \(error)", underlying: error)
        }
        return paths
    }

    func read(_ id: RunID) throws(TygerError) -> Run {
        let data: Data
        do {
            data = try Data(contentsOf: recordFile(id))
        } catch {
            throw RunID.notFound(id)
        }
        do {
            return try JSONDecoder.tygerState.decode(Run.self, from: data)
        } catch {
            throw TygerError(.storage, "the record of run \(id) is unreadable: \(error)", underlying: error)
        }
    }

    /// Run IDs, newest first.
    func runIDs() throws(TygerError) -> [RunID] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return []
        } catch {
            throw TygerError(.storage, "cannot list \(runsDirectory.path): \(error)", underlying: error)
        }
        return entries.compactMap { RunID.parse($0) }.sorted(by: >)
    }

    func recordHost(_ id: RunID) {
        let host = "\(getpid()) \(LocalRunRecords.startTime(of: getpid()) ?? 0)"
        try? Data(host.utf8).write(to: hostFile(id), options: .atomic)
    }

    /// Whether the process that executes the run is still alive; a reused pid does not count.
    func isHostAlive(_ id: RunID) -> Bool {
        guard let text = try? String(contentsOf: hostFile(id), encoding: .utf8) else { return false }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let pid = Int32(parts[0]), let started = UInt64(parts[1]) else { return false }
        return LocalRunRecords.startTime(of: pid) == started
    }

    /// When the run's record or log last changed: what its host last did.
    func lastWrite(_ id: RunID) -> Date? {
        [recordFile(id), logFile(id)].compactMap { url in
            (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        }.max()
    }

    func requestCancel(_ id: RunID) throws(TygerError) {
        do {
            try Data().write(to: cancelFile(id))
        } catch {
            throw TygerError(.storage, "cannot request cancellation of run \(id): \(error)", underlying: error)
        }
    }

    func isCancelRequested(_ id: RunID) -> Bool {
        FileManager.default.fileExists(atPath: cancelFile(id).path)
    }

    /// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat).
    private static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let endOfName = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: endOfName)...].split(separator: " ")
        // Field 22 overall is the 20th after "pid (comm)".
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
