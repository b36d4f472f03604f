public import Foundation

/// The directory where TygerKit keeps its durable state: `$TYGER_HOME` when set, else `~/.tyger`.
public enum TygerHome {
    /// The environment variable that moves the state directory.
    public static let variable = "TYGER_HOME"

    /// The state directory for the given environment: `$TYGER_HOME` unless it is unset or
    /// empty, else `.tyger` in `$HOME` (or, without `$HOME`, the user's home directory).
    ///
    /// - Parameter environment: The environment to read; the process's by default.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment[variable], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let home =
            environment["HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".tyger", isDirectory: true)
    }
}
