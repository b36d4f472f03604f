public import Foundation
import Yams

/// Reads and writes codespec and run spec files: YAML, or JSON, which YAML includes.
///
/// Decoding is strict and validates: an unknown field, a value of the wrong type or a
/// broken rule is a ``TygerError`` that names the file, line, column and key path and
/// what is allowed. Decoding stops at the first structural problem (syntax, unknown field,
/// wrong type); validation then reports every broken rule at once, in ``TygerError/related``.
///
/// Hostile input is bounded before the YAML parser runs, so that no document costs more than
/// a few tens of megabytes or a fraction of a second:
/// - a document (text or file) may be at most ``maximumSize`` bytes;
/// - mappings, lists and flow collections may nest at most 256 levels deep;
/// - anchors, aliases and merge keys (`<<: *base`, or a list of mappings) are accepted where
///   values stand, as Tyger's YAML reader accepts them; decoding stops after visiting a million
///   values, so a "billion laughs" document is an error, not a hang; an alias used as a key is
///   rejected before parsing. A field set both by a merge and in the mapping itself takes the
///   mapping's value, as YAML says (Tyger's reader refuses that document instead).
/// Each rejection is a ``TygerError`` with code ``TygerError/Code/invalidSpec`` and a location.
///
/// ```swift
/// let run = try SpecFile.decodeRun(contentsOf: URL(filePath: "run.yaml"))
/// let yaml = try SpecFile.encode(run)
/// ```
public enum SpecFile {
    /// The largest spec file accepted, so a mistaken path to a huge file fails fast.
    public static let maximumSize = 4 * 1024 * 1024

    /// Decodes and validates a codespec from YAML or JSON text.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - file: A name for the source, used in error messages.
    public static func decodeCodespec(from text: String, file: String? = nil) throws(TygerError) -> Codespec {
        let document = try SpecDocument(text: text, file: file)
        let codespec = try document.decode(Codespec.self)
        if let error = document.error(for: codespec.problems(at: [])) { throw error }
        return codespec
    }

    /// Decodes and validates a run spec from YAML or JSON text.
    ///
    /// - Parameters:
    ///   - text: The document.
    ///   - file: A name for the source, used in error messages.
    public static func decodeRun(from text: String, file: String? = nil) throws(TygerError) -> RunSpec {
        let document = try SpecDocument(text: text, file: file)
        let run = try document.decode(RunSpec.self)
        if let error = document.error(for: run.problems()) { throw error }
        return run
    }

    /// Reads, decodes and validates a codespec file.
    public static func decodeCodespec(contentsOf url: URL) throws(TygerError) -> Codespec {
        try decodeCodespec(from: readText(url), file: url.path)
    }

    /// Reads, decodes and validates a codespec file whose kind, when the file does not write
    /// `kind`, is `defaultKind`: as in Tyger's CLI, a file's `kind` wins over `--kind`.
    ///
    /// - Returns: the codespec, and whether the file wrote its kind.
    public static func decodeCodespec(contentsOf url: URL, defaultKind: CodespecKind) throws(TygerError) -> (
        codespec: Codespec, writesKind: Bool
    ) {
        let document = try SpecDocument(text: readText(url), file: url.path)
        var codespec = try document.decode(Codespec.self)
        let writesKind = document.root.mapping?.contains { $0.key.scalar?.string == "kind" } ?? false
        if !writesKind { codespec.kind = defaultKind }
        if let error = document.error(for: codespec.problems(at: [])) { throw error }
        return (codespec, writesKind)
    }

    /// Reads, decodes and validates a run spec file.
    public static func decodeRun(contentsOf url: URL) throws(TygerError) -> RunSpec {
        try decodeRun(from: readText(url), file: url.path)
    }

    /// Writes a model as YAML. A ``Codespec`` or ``RunSpec`` written this way decodes back to an
    /// equal value with ``decodeCodespec(from:file:)`` or ``decodeRun(from:file:)``.
    public static func encode(_ value: some Encodable) throws(TygerError) -> String {
        do {
            return try YAMLEncoder().encode(value)
        } catch {
            throw TygerError(.invalidSpec, "the value cannot be written as YAML: \(error)", underlying: error)
        }
    }

    static func readText(_ url: URL) throws(TygerError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw TygerError(.invalidSpec, "cannot read the spec file \(url.path): it is a directory; give a YAML or JSON file")
        }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumSize + 1) ?? Data()
        } catch {
            throw TygerError(
                .invalidSpec, "cannot read the spec file \(url.path): \(FileErrorText.describe(error))", underlying: error)
        }
        guard data.count <= maximumSize else {
            throw TygerError(
                .invalidSpec,
                "the spec file \(url.path) is larger than \(maximumSize / 1024 / 1024) MiB; spec files are small YAML documents"
            )
        }
        return try text(of: data, file: url.path)
    }

    /// Decodes bytes as UTF-8, rejecting invalid sequences instead of replacing them, so that
    /// what is decoded is exactly what the file says.
    static func text(of data: Data, file: String?) throws(TygerError) -> String {
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) {
            throw TygerError(
                .invalidSpec,
                "the file starts with a UTF-16 byte-order mark; allowed: UTF-8 text (save the file as UTF-8)",
                location: SpecLocation(file: file, line: 1, column: 1, keyPath: "")
            )
        }
        if let text = String(validating: data, as: UTF8.self) { return text }
        let offset = firstInvalidUTF8Offset(data)
        let line = data.prefix(offset).reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        throw TygerError(
            .invalidSpec,
            "the file is not valid UTF-8 text: invalid byte sequence at byte offset \(offset)",
            location: SpecLocation(file: file, line: line, keyPath: "")
        )
    }

    private static func firstInvalidUTF8Offset(_ data: Data) -> Int {
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += String(scalar).utf8.count
            case .emptyInput, .error: return offset
            }
        }
    }
}
