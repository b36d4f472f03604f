package import Foundation

/// Executables the package builds next to the test bundle: `tyger`, `tyger-conformance`, the
/// example programs and the test helpers.
package enum BuiltProduct {
    /// The executable `name` of this build.
    package static func url(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }

    /// The folder the products are in.
    package static func directory() throws -> URL {
        try url("tyger").deletingLastPathComponent()
    }
}

/// Programs of this machine that tests drive: `openssl`, `kubectl`, `podman`.
package enum SystemTool {
    /// The executable `name` on `PATH` (or in `/usr/bin`, `/usr/local/bin`), or `nil`.
    package static func url(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        return folders.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
