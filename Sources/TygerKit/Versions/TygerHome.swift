public import Foundation

/// The directory where TygerKit keeps its durable state: `$TYGER_HOME` when set, else `~/.tyger`.
public enum TygerHome {
    /// The environment variable that moves the state directory.
    public static let variable = "TYGER_HOME"

    /// The state directory for the given environment.
    ///
    /// - Parameter environment: The environment to read; the process's by default.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment[variable], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".tyger", isDirectory: true)
    }
}
