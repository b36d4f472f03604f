import Foundation
import Yams

/// One parsed YAML (or JSON) spec document, kept as a node tree so that every error found
/// while decoding or validating it can point at a line and column.
struct SpecDocument {
    /// The most values one document may expand to; an alias bomb stops here.
    static let nodeBudget = 1_000_000

    let root: Node
    let file: String?

    init(text: String, file: String?) throws(TygerError) {
        self.file = file
        // Bounds first, in one cheap pass each, before the recursive YAML composer runs.
        let size = text.utf8.count
        guard size <= SpecFile.maximumSize else {
            throw TygerError(
                .invalidSpec,
                "the document is \(size) bytes, larger than \(SpecFile.maximumSize / 1024 / 1024) MiB; "
                    + "allowed: spec documents up to \(SpecFile.maximumSize) bytes",
                location: SpecLocation(file: file, line: 1, column: 1, keyPath: "")
            )
        }
        try SpecScan.check(text, file: file)
        // libyaml counts a byte-order mark as a column, which editors do not show.
        let text = text.unicodeScalars.first == "\u{FEFF}" ? String(text.unicodeScalars.dropFirst()) : text
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch {
            throw SpecDocument.syntaxError(error, file: file, text: text)
        }
        guard let composed else {
            throw TygerError(
                .invalidSpec,
                "the document is empty; expected a mapping of fields",
                location: SpecLocation(file: file, line: 1, column: 1, keyPath: "")
            )
        }
        root = composed
    }

    /// Decodes the document as `type`, strictly.
    func decode<T: Decodable>(_ type: T.Type) throws(TygerError) -> T {
        do {
            return try decodeNode(type, node: root, codingPath: [], budget: DecodingBudget(nodes: Self.nodeBudget))
        } catch let error as DecodingError {
            throw tygerError(for: error)
        } catch let error as TygerError {
            throw error
        } catch {
            throw TygerError(.invalidSpec, "\(error)", location: location(of: []), underlying: error)
        }
    }

    /// Turns validation problems into one error that lists them all.
    func error(for problems: [SpecProblem]) -> TygerError? {
        let errors = problems.map { TygerError(.invalidSpec, $0.message, location: location(of: $0.path)) }
        guard var first = errors.first else { return nil }
        first.related = Array(errors.dropFirst())
        return first
    }

    /// Where a path points in the file: the key's position for a field, the entry's for a list
    /// item, or the deepest existing parent when the path goes beyond what the file has.
    func location(of path: SpecPath) -> SpecLocation {
        var node = root
        var mark = root.mark
        walk: for component in path.components {
            switch (component, node) {
            case (.key(let name), .mapping(let mapping)):
                guard let pair = mapping.first(where: { $0.key.scalar?.string == name }) else { break walk }
                mark = pair.key.mark ?? mark
                node = pair.value
            case (.index(let index), .sequence(let sequence)) where sequence.indices.contains(index):
                node = sequence[index]
                mark = node.mark ?? mark
            default:
                break walk
            }
        }
        return SpecLocation(file: file, line: mark?.line, column: mark?.column, keyPath: path.description)
    }

    private func tygerError(for error: DecodingError) -> TygerError {
        let (path, message): (SpecPath, String) =
            switch error {
            case .keyNotFound(let key, let context):
                (SpecPath(codingPath: context.codingPath + [key]), context.debugDescription)
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                (SpecPath(codingPath: context.codingPath), context.debugDescription)
            @unknown default:
                (SpecPath(), "\(error)")
            }
        let code = (context(of: error)?.underlyingError as? TygerError)?.code ?? .invalidSpec
        return TygerError(code, message, location: location(of: path), underlying: error)
    }

    private func context(of error: DecodingError) -> DecodingError.Context? {
        switch error {
        case .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
            .dataCorrupted(let context):
            context
        @unknown default:
            nil
        }
    }

    private static func syntaxError(_ error: any Error, file: String?, text: String) -> TygerError {
        guard let yamlError = error as? YamlError else {
            return TygerError(.invalidSpec, "the document is not valid YAML: \(error)", underlying: error)
        }
        func located(_ message: String, _ mark: Mark?) -> TygerError {
            TygerError(
                .invalidSpec,
                message,
                location: SpecLocation(file: file, line: mark?.line, column: mark?.column, keyPath: ""),
                underlying: yamlError
            )
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text), which starts at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return located("invalid YAML: \(problem)\(detail)\(hint(for: problem))", mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            var names = duplicates.prefix(5).map { quoted($0, limit: 60) }.joined(separator: ", ")
            if duplicates.count > 5 { names += " and \(duplicates.count - 5) more" }
            return located("duplicate field \(names) in one mapping; each field may appear once", context.mark)
        case .reader(let problem, let offset, let value, _):
            let at = offset.map { " at byte \($0)" } ?? ""
            let line = offset.map { offset in text.utf8.prefix(offset).reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }
            return TygerError(
                .invalidSpec,
                "the document cannot be read as text: \(problem)\(at) (value \(value)); allowed: printable UTF-8 text, tabs and line breaks",
                location: SpecLocation(file: file, line: line, keyPath: ""),
                underlying: yamlError
            )
        case .dataCouldNotBeDecoded:
            return located("the document is not UTF-8 or UTF-16 text", nil)
        default:
            return located("the document is not valid YAML: \(yamlError)", nil)
        }
    }

    private static func hint(for problem: String) -> String {
        if problem.contains("cannot start any token") || problem.contains("tab character") {
            return " (YAML does not allow tabs for indentation; use spaces)"
        }
        if problem.contains("could not find expected ':'") {
            return " (an implicit key is at most 1024 characters on one line; is a ':' missing?)"
        }
        return ""
    }
}
