import Synchronization

/// A codespec store that keeps versions in memory, for tests and short-lived embedders.
///
/// ```swift
/// let store = InMemoryCodespecStore()
/// let stored = try await store.create(Codespec(name: "hello", command: ["echo", "hi"]))
/// assert(stored.version == 1)
/// ```
public final class InMemoryCodespecStore: CodespecStore {
    /// Each name's versions, oldest first: version N is at index N - 1.
    private let versionsByName = Mutex<[String: [Codespec]]>([:])

    /// Creates an empty store.
    public init() {}

    public func latestVersion(of name: String) async throws -> Codespec? {
        versionsByName.withLock { $0[name]?.last }
    }

    public func version(_ version: Int, of name: String) async throws -> Codespec? {
        versionsByName.withLock { versionsByName in
            guard let versions = versionsByName[name], versions.indices.contains(version - 1) else { return nil }
            return versions[version - 1]
        }
    }

    public func latestVersions(_ query: CodespecQuery) async throws -> [Codespec] {
        let latest = versionsByName.withLock { versionsByName in
            versionsByName.filter { query.matches($0.key) }.sorted { $0.key < $1.key }.compactMap(\.value.last)
        }
        return Array(latest.prefix(query.limit ?? .max))
    }

    public func publish(_ codespec: Codespec) async throws -> Bool {
        guard let name = codespec.name, let version = codespec.version else {
            throw TygerError(.storage, "a published codespec needs a name and a version")
        }
        return versionsByName.withLock { versionsByName in
            guard versionsByName[name, default: []].count == version - 1 else { return false }
            versionsByName[name, default: []].append(codespec)
            return true
        }
    }
}
