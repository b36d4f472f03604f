import Foundation

/// Where codespec versions live.
///
/// Creating compares the new codespec with the **latest** version of its name only: when
/// they are equal that version is returned and nothing is stored; otherwise the codespec
/// is stored as latest + 1 (1 for a new name). Versions are immutable, and concurrent
/// creators never get one number for different content and never lose a version.
///
/// TygerKit ships ``InMemoryCodespecStore`` and ``FileCodespecStore`` (the embedded default).
/// Errors thrown are ``TygerError``s.
public protocol CodespecStore: Sendable {
    /// Stores `codespec` as a new version of its name unless it equals the latest version.
    ///
    /// - Returns: The stored (or equal latest) codespec, with `version` and `createdAt` set.
    func create(_ codespec: Codespec) async throws -> Codespec

    /// The given version of a codespec, or its latest version when `version` is `nil`.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/codespecNotFound`` or
    ///   ``TygerError/Code/versionNotFound``, with the texts Tyger uses.
    func codespec(named name: String, version: Int?) async throws -> Codespec

    /// The latest version of each codespec whose name starts with `prefix`, sorted by name.
    func latestCodespecs(prefix: String?, limit: Int?) async throws -> [Codespec]
}

extension CodespecStore {
    /// The latest version of a codespec.
    public func codespec(named name: String) async throws -> Codespec {
        try await codespec(named: name, version: nil)
    }

    /// The latest version of every codespec, sorted by name.
    public func latestCodespecs() async throws -> [Codespec] {
        try await latestCodespecs(prefix: nil, limit: nil)
    }
}

/// The rules every store applies, so that each one behaves the same.
enum CodespecVersioning {
    /// Checks a codespec for storing and strips the fields the store sets.
    static func prepare(_ codespec: Codespec) throws(TygerError) -> (name: String, content: Codespec) {
        guard let name = codespec.name else {
            throw TygerError(
                .invalidSpec,
                "a codespec needs a name to be stored; allowed: \(CodespecName.pattern)",
                location: SpecLocation(keyPath: "name")
            )
        }
        try codespec.validate()
        return (name, codespec.content)
    }

    /// Whole seconds, so a stored timestamp reads back equal to the one returned at creation.
    static func timestamp(_ now: () -> Date) -> Date {
        Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
    }

    static func notFound(_ name: String) -> TygerError {
        TygerError(.codespecNotFound, "The codespec '\(name)' was not found")
    }

    static func versionNotFound(_ name: String, version: Int, latest: Int) -> TygerError {
        TygerError(
            .versionNotFound,
            "The version '\(version)' of codespec '\(name)' was not found. The latest version is '\(latest)'."
        )
    }

    static func checkLimit(_ limit: Int?) throws(TygerError) {
        if let limit, limit < 1 {
            throw TygerError(.invalidSpec, "the limit is \(limit); allowed: 1 or more")
        }
    }
}
