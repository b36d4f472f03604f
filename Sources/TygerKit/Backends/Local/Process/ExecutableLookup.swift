#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the file to execute for a codespec's `command[0]`, the way a container runtime
/// does, so a codespec behaves the same on the local backend as on Kubernetes.
package enum ExecutableLookup {
    /// The `PATH` container runtimes assume when the image sets none.
    package static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Returns an absolute path to execute.
    ///
    /// A `command` containing "/" is used as is; a relative one is taken against
    /// `workingDirectory`. Otherwise each entry of `path` (the `PATH` the process will
    /// get, ``defaultPath`` when nil) is tried in order and the first regular file with
    /// execute permission wins; non-executable matches are skipped like runtimes do.
    /// Empty and relative entries count from `workingDirectory`, as POSIX says for "".
    /// `workingDirectory` itself defaults to, and is resolved against, the host's
    /// current directory.
    ///
    /// - Throws: `ENOENT` naming the command and the `PATH` searched when nothing
    ///   matches; `EACCES` when the only matches are not executable, or a path given
    ///   with "/" is not an executable regular file.
    package static func resolve(
        _ command: String, path: String?, workingDirectory: String?
    ) throws(LocalProcessError) -> String {
        guard !command.isEmpty else {
            throw LocalProcessError(executable: command, errno: ENOENT, message: "cannot start an empty command")
        }
        let base = absolute(workingDirectory ?? ".", against: currentDirectory())
        if command.contains("/") {
            let candidate = absolute(command, against: base)
            switch check(candidate) {
            case .executable:
                return candidate
            case .missing:
                throw LocalProcessError(
                    executable: candidate, errno: ENOENT,
                    message: "cannot start \(candidate): \(errorDescription(ENOENT))")
            case .notExecutable, .directory:
                // What execve itself says for a directory too.
                throw LocalProcessError(
                    executable: candidate, errno: EACCES,
                    message: "cannot start \(candidate): \(errorDescription(EACCES))")
            }
        }

        let searched = path ?? defaultPath
        var firstNotExecutable: String?
        // A PATH that is set but empty names no directory at all.
        let entries = searched.isEmpty ? [] : searched.split(separator: ":", omittingEmptySubsequences: false)
        for entry in entries {
            let directory = absolute(entry.isEmpty ? "." : String(entry), against: base)
            let candidate = directory.hasSuffix("/") ? directory + command : directory + "/" + command
            switch check(candidate) {
            case .executable:
                return candidate
            case .notExecutable:
                firstNotExecutable = firstNotExecutable ?? candidate
            case .missing, .directory:
                continue
            }
        }
        if let firstNotExecutable {
            throw LocalProcessError(
                executable: firstNotExecutable, errno: EACCES,
                message: "cannot start \(command): \(firstNotExecutable) is not executable: \(errorDescription(EACCES))")
        }
        throw LocalProcessError(
            executable: command, errno: ENOENT,
            message: "cannot start \(command): executable file not found in PATH \"\(searched)\"")
    }

    private enum Candidate { case executable, notExecutable, directory, missing }

    private static func check(_ candidate: String) -> Candidate {
        var info = stat()
        guard stat(candidate, &info) == 0 else {
            // A dangling symlink or an unreadable parent behaves as absent, as in runtimes.
            return .missing
        }
        if info.st_mode & S_IFMT == S_IFDIR { return .directory }
        guard info.st_mode & S_IFMT == S_IFREG else { return .notExecutable }
        return access(candidate, X_OK) == 0 ? .executable : .notExecutable
    }

    private static func absolute(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "." { return base }
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    private static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "/" }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
