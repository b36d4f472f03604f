public import Foundation
public import TygerKit

/// The unix socket of a Docker-compatible engine API: Docker Engine's, or Podman's service.
public struct EngineSocket: Sendable, Hashable, CustomStringConvertible {
    /// The socket's path.
    public var path: String

    /// A socket at `path`.
    public init(path: String) {
        self.path = path
    }

    public var description: String { "unix://\(path)" }

    /// Docker Engine's usual socket.
    public static let dockerDefault = "/var/run/docker.sock"
    /// Podman's system service socket when it runs as root.
    public static let podmanRootDefault = "/run/podman/podman.sock"

    /// Finds the engine the way the `docker` client does, then Podman's places: `DOCKER_HOST`
    /// (`unix://PATH`) when set, else `/var/run/docker.sock`, else `/run/podman/podman.sock`,
    /// else `$XDG_RUNTIME_DIR/podman/podman.sock`.
    ///
    /// - Throws: ``TygerError`` naming every place tried and what was there, or why
    ///   `DOCKER_HOST` cannot be used (only unix sockets are).
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isSocket: (String) -> Bool = EngineSocket.isSocket
    ) throws(TygerError) -> EngineSocket {
        if let host = environment["DOCKER_HOST"], !host.isEmpty {
            guard host.hasPrefix("unix://") else {
                throw TygerError(
                    .backend,
                    "DOCKER_HOST is '\(host)'; the container backend speaks to an engine over a unix socket only: "
                        + "set DOCKER_HOST=unix:///path/to/docker.sock")
            }
            let path = String(host.dropFirst("unix://".count))
            guard isSocket(path) else {
                throw TygerError(
                    .backend, "DOCKER_HOST is '\(host)', and \(path) is not a socket: start the engine, or fix DOCKER_HOST")
            }
            return EngineSocket(path: path)
        }
        var candidates = [dockerDefault, podmanRootDefault]
        var tried: [String] = ["DOCKER_HOST is not set"]
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            candidates.append(runtime + "/podman/podman.sock")
        } else {
            tried.append("XDG_RUNTIME_DIR is not set (so no rootless Podman socket)")
        }
        for candidate in candidates {
            if isSocket(candidate) { return EngineSocket(path: candidate) }
        }
        tried.insert(contentsOf: candidates.map { "\($0) is not a socket" }, at: 1)
        throw TygerError(
            .backend,
            "no container engine found: " + tried.joined(separator: "; ")
                + ". Start Docker, or Podman's service (`podman system service --time=0`), "
                + "or set DOCKER_HOST=unix:///path/to/the.sock")
    }

    /// Whether `path` is a unix socket.
    public static func isSocket(_ path: String) -> Bool {
        guard let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType else {
            return false
        }
        return type == .typeSocket
    }
}
