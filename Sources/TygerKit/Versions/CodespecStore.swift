public import Foundation

/// Where codespec versions live.
///
/// A store provides reads and one write, ``publish(_:)``: store a version under its number
/// unless that number is taken. Everything else, and so every rule of versioning, is
/// written once in this protocol's extension and is the same for every store:
/// ``create(_:at:)`` compares the new codespec with the **latest** version of its name
/// only; when they are equal that version is returned and nothing is stored, otherwise the
/// codespec is published as latest + 1 (1 for a new name). Versions are immutable, and
/// because a number can be published only once, concurrent creators never get one number
/// for different content and never lose a version.
///
/// TygerKit ships ``InMemoryCodespecStore`` and ``FileCodespecStore`` (the embedded default).
/// Errors thrown are ``TygerError``s.
public protocol CodespecStore: Sendable {
    /// The latest version of the codespec `name`, or `nil` when it has none.
    ///
    /// `name` is always a valid codespec name (the extension checks it first).
    func latestVersion(of name: String) async throws -> Codespec?

    /// Version `version` of the codespec `name`, or `nil` when there is no such version.
    func version(_ version: Int, of name: String) async throws -> Codespec?

    /// The latest version of each codespec that `query` selects, sorted by name.
    func latestVersions(_ query: CodespecQuery) async throws -> [Codespec]

    /// Stores `codespec` under its name and ``Codespec/version`` unless that version exists.
    ///
    /// - Returns: `false` when the version was already taken; the store is then unchanged.
    func publish(_ codespec: Codespec) async throws -> Bool
}

extension CodespecStore {
    /// Stores `codespec` as a new version of its name unless it equals the latest version.
    ///
    /// - Parameter now: When the version is created; stored in whole seconds, so a stored
    ///   timestamp reads back equal to the one returned.
    /// - Returns: The stored (or equal latest) codespec, with `version` and `createdAt` set.
    /// - Throws: ``TygerError``: an invalid or unnamed codespec, or a storage failure.
    public func create(_ codespec: Codespec, at now: Date = Date()) async throws -> Codespec {
        guard let name = codespec.name else {
            throw TygerError(
                .invalidSpec, "a codespec needs a name to be stored; allowed: \(CodespecName.pattern)",
                location: SpecLocation(keyPath: "name"))
        }
        try codespec.validate()
        let content = codespec.content
        // Each lost race means another creator published a version; many in a row mean a
        // store under constant writes, which is reported rather than retried forever.
        for _ in 0..<1000 {
            let latest = try await latestVersion(of: name)
            if let latest, latest == content { return latest }
            let latestNumber = latest?.version ?? 0
            guard latestNumber < Int.max else {
                throw TygerError(.storage, "codespec '\(name)' has reached the largest version number, \(Int.max)")
            }
            var candidate = content
            candidate.version = latestNumber + 1
            candidate.createdAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
            if try await publish(candidate) { return candidate }
        }
        throw TygerError(.storage, "could not store codespec '\(name)': other creators kept publishing versions")
    }

    /// The given version of a codespec, or its latest version when `version` is `nil`.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/codespecNotFound`` or
    ///   ``TygerError/Code/versionNotFound``, with the texts Tyger uses.
    public func codespec(named name: String, version: Int? = nil) async throws -> Codespec {
        // A name no codespec can have is not looked up: it could be a path or a selector.
        guard CodespecName.isValid(name) else {
            throw TygerError(
                .codespecNotFound,
                "The codespec \(quoted(name)) was not found; codespec names match \(CodespecName.pattern), other than '.' and '..'"
            )
        }
        if let version, let found = try await self.version(version, of: name) { return found }
        guard let latest = try await latestVersion(of: name) else {
            throw TygerError(.codespecNotFound, "The codespec '\(name)' was not found")
        }
        guard let version else { return latest }
        throw TygerError(
            .versionNotFound,
            "The version '\(version)' of codespec '\(name)' was not found. The latest version is '\(latest.version ?? 0)'."
        )
    }

    /// The latest version of every codespec whose name starts with `prefix`, sorted by name,
    /// at most `limit` of them.
    ///
    /// - Throws: ``TygerError`` when `limit` is less than 1, or the store cannot be read.
    public func latestCodespecs(prefix: String? = nil, limit: Int? = nil) async throws -> [Codespec] {
        try await latestVersions(CodespecQuery(prefix: prefix, limit: limit))
    }
}

/// Which codespecs ``CodespecStore/latestVersions(_:)`` lists: those whose name starts with
/// ``prefix``, at most ``limit`` of them.
public struct CodespecQuery: Sendable, Hashable {
    /// The prefix names must start with; `nil` for every name.
    public let prefix: String?
    /// The most codespecs to list; `nil` for all. Always 1 or more.
    public let limit: Int?

    /// Every codespec.
    public static let all = CodespecQuery(checkedPrefix: nil, limit: nil)

    /// Creates a query.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidSpec`` when `limit` is less than 1.
    public init(prefix: String? = nil, limit: Int? = nil) throws(TygerError) {
        try QueryLimit.check(limit)
        self.init(checkedPrefix: prefix, limit: limit)
    }

    private init(checkedPrefix prefix: String?, limit: Int?) {
        self.prefix = prefix
        self.limit = limit
    }

    /// Whether `name` is selected by the prefix.
    public func matches(_ name: String) -> Bool { name.hasPrefix(prefix ?? "") }
}

/// The rule for the `limit` of every listing query.
enum QueryLimit {
    static func check(_ limit: Int?) throws(TygerError) {
        if let limit, limit < 1 {
            throw TygerError(.invalidSpec, "the limit is \(limit); allowed: 1 or more")
        }
    }
}
