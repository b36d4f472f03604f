public import Foundation
import Synchronization

/// A codespec store that keeps versions in memory, for tests and short-lived embedders.
///
/// ```swift
/// let store = InMemoryCodespecStore()
/// let stored = try await store.create(Codespec(name: "hello", command: ["echo", "hi"]))
/// assert(stored.version == 1)
/// ```
public final class InMemoryCodespecStore: CodespecStore {
    private let versionsByName = Mutex<[String: [Codespec]]>([:])
    private let now: @Sendable () -> Date

    /// Creates an empty store.
    ///
    /// - Parameter now: The clock that stamps `createdAt`; injectable for tests.
    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    public func create(_ codespec: Codespec) async throws -> Codespec {
        let (name, content) = try CodespecVersioning.prepare(codespec)
        let createdAt = CodespecVersioning.timestamp(now)
        return versionsByName.withLock { versionsByName in
            var versions = versionsByName[name, default: []]
            if let latest = versions.last, latest == content { return latest }
            var stored = content
            stored.version = versions.count + 1
            stored.createdAt = createdAt
            versions.append(stored)
            versionsByName[name] = versions
            return stored
        }
    }

    public func codespec(named name: String, version: Int?) async throws -> Codespec {
        let versions = versionsByName.withLock { $0[name] ?? [] }
        guard let latest = versions.last else { throw CodespecVersioning.notFound(name) }
        guard let version else { return latest }
        guard versions.indices.contains(version - 1) else {
            throw CodespecVersioning.versionNotFound(name, version: version, latest: versions.count)
        }
        return versions[version - 1]
    }

    public func latestCodespecs(prefix: String?, limit: Int?) async throws -> [Codespec] {
        try CodespecVersioning.checkLimit(limit)
        let latest = versionsByName.withLock { versionsByName in
            versionsByName.filter { $0.key.hasPrefix(prefix ?? "") }
                .sorted { $0.key < $1.key }
                .compactMap(\.value.last)
        }
        return Array(latest.prefix(limit ?? .max))
    }
}
