/// A quick byte scan of a spec document that runs before YAML composition, to reject
/// inputs that would make the recursive composer (or the recursive node tree's teardown)
/// overflow the stack, or make alias expansion cost unbounded time or memory.
///
/// The scan follows YAML's token rules closely enough for spec files: it skips comments,
/// quoted scalars and block scalars, counts flow collections (`[`, `{`) and block
/// nesting (indentation and compact `- ` / `? ` entries), and finds alias tokens (`*name`).
/// It may over-count nesting in odd documents (by at most about a factor of two), never
/// under-counts it for documents libyaml accepts, and runs in one pass.
///
/// Policy, documented in ``SpecFile``:
/// - nesting deeper than ``maximumDepth`` levels is rejected;
/// - aliases (`*name`) are accepted where values stand, as Tyger's YAML reader accepts them
///   (merge keys, `<<: *base`, included); the decoder bounds how far they expand, so an alias
///   bomb is an error, not a hang. An alias used as a mapping *key* is rejected: the YAML
///   composer hashes keys in full, so an aliased key is how a small document costs
///   exponential time before any bound can apply, and a spec file's keys are field names.
enum SpecScan {
    /// The deepest nesting of mappings, lists and flow collections accepted.
    static let maximumDepth = 256
    /// The most keys, values, list entries and `:` indicators a document may hold. The YAML
    /// composer keeps every node with its tag and position (about a hundred bytes each), so
    /// this bounds its memory to tens of megabytes; real spec files hold dozens or hundreds.
    static let maximumValues = 200_000

    static func check(_ text: String, file: String?) throws(TygerError) {
        var text = text
        let problem: Problem? = text.withUTF8 { scan($0) }
        guard let problem else { return }
        let message: String
        switch problem.kind {
        case .tooDeep:
            message = "the document nests deeper than \(maximumDepth) levels at line \(problem.line); "
                + "allowed: at most \(maximumDepth) levels of mappings and lists"
        case .tooManyValues:
            message = "the document holds too many values (more than \(maximumValues) keys, values and entries by line \(problem.line)); "
                + "allowed: at most \(maximumValues)"
        case .aliasKey:
            message = "an alias (*name) is used as a mapping key at line \(problem.line); "
                + "allowed: aliases as values only, since keys are field names"
        }
        throw TygerError(
            .invalidSpec, message,
            location: SpecLocation(file: file, line: problem.line, column: problem.column, keyPath: "")
        )
    }

    struct Problem: Equatable {
        enum Kind { case tooDeep, tooManyValues, aliasKey }
        var kind: Kind
        var line: Int
        var column: Int
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        let count = bytes.count
        var i = 0
        var line = 1
        var lineStart = 0
        var flow = 0
        var blocks: [Int] = []
        var blockScalarParent: Int? = nil
        // The indentation of the line where a plain scalar that ran to the end of its line began:
        // a more indented next line continues that scalar, as text.
        var plainParent: Int? = nil
        var values = 0

        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == newline || byte == carriageReturn }
        func isBlankOrEnd(_ index: Int) -> Bool { index >= count || isBlank(bytes[index]) }
        func isFlowIndicator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "{")
                || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",")
        }
        func column(_ index: Int) -> Int { index - lineStart + 1 }

        while i < count {
            // At the start of a line, outside any quoted scalar.
            var indent = 0
            while i + indent < count, bytes[i + indent] == space { indent += 1 }
            let contentStart = i + indent
            let first: UInt8? = contentStart < count ? bytes[contentStart] : nil
            let isBlankLine = first == nil || first == newline || first == carriageReturn
                || (first == UInt8(ascii: "#"))
            if let parent = blockScalarParent {
                if isBlankLine || indent > parent {
                    // Inside a literal or folded block scalar: plain text.
                    while i < count, bytes[i] != newline { i += 1 }
                    if i < count { i += 1; line += 1; lineStart = i }
                    continue
                }
                blockScalarParent = nil
            }
            if isBlankLine {
                while i < count, bytes[i] != newline { i += 1 }
                if i < count { i += 1; line += 1; lineStart = i }
                continue
            }
            var inPlain = false
            if let parent = plainParent, flow == 0, indent > parent {
                inPlain = true
            } else if flow == 0 {
                plainParent = nil
                while let last = blocks.last, last > indent { blocks.removeLast() }
                if blocks.last.map({ $0 < indent }) ?? true { blocks.append(indent) }
                if blocks.count > maximumDepth {
                    return Problem(kind: .tooDeep, line: line, column: column(contentStart))
                }
            }
            i = contentStart
            var previous: UInt8 = space
            if indent == 0, i + 2 < count, isBlankOrEnd(i + 3),
                (bytes[i] == UInt8(ascii: "-") && bytes[i + 1] == UInt8(ascii: "-") && bytes[i + 2] == UInt8(ascii: "-"))
                    || (bytes[i] == UInt8(ascii: ".") && bytes[i + 1] == UInt8(ascii: ".") && bytes[i + 2] == UInt8(ascii: "."))
            {
                // A document marker; what follows on the line is a new node.
                i += 3
                blocks = []
                flow = 0
                inPlain = false
            }
            var blockScalarHere = false
            // The rest of the line (a quoted scalar may carry it over several lines).
            lineLoop: while i < count {
                let byte = bytes[i]
                if byte == newline { break lineLoop }
                let afterBlank = isBlank(previous)
                let tokenStart = afterBlank || (flow > 0 && (previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                    || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":")))
                switch byte {
                case UInt8(ascii: "#") where afterBlank:
                    while i < count, bytes[i] != newline { i += 1 }
                    break lineLoop
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    guard tokenStart, !inPlain else { break }
                    values += 1
                    if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                    let quote = byte
                    i += 1
                    while i < count {
                        let inner = bytes[i]
                        if inner == newline {
                            line += 1
                            lineStart = i + 1
                        } else if quote == UInt8(ascii: "\"") && inner == UInt8(ascii: "\\") {
                            if i + 1 < count, bytes[i + 1] == newline { line += 1; lineStart = i + 2 }
                            i += 1
                        } else if inner == quote {
                            if quote == UInt8(ascii: "'"), i + 1 < count, bytes[i + 1] == quote {
                                i += 1
                            } else {
                                break
                            }
                        }
                        i += 1
                    }
                    // An unterminated quote is a syntax error libyaml reports.
                    if i >= count { return nil }
                    previous = quote
                    i += 1
                    continue lineLoop
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if flow > 0 || (tokenStart && !inPlain) {
                        flow += 1
                        inPlain = false
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                        if flow + blocks.count > maximumDepth {
                            return Problem(kind: .tooDeep, line: line, column: column(i))
                        }
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flow > 0 {
                        flow -= 1
                        inPlain = false
                    }
                case UInt8(ascii: ","):
                    if flow > 0 { inPlain = false }
                case UInt8(ascii: "*"):
                    if tokenStart && !inPlain {
                        // An alias: a value unless a `:` follows it or a `? ` precedes it.
                        var end = i + 1
                        while end < count, !isBlank(bytes[end]), !isFlowIndicator(bytes[end]) { end += 1 }
                        var next = end
                        while next < count, bytes[next] == space || bytes[next] == tab { next += 1 }
                        let colonAfter = next < count && bytes[next] == UInt8(ascii: ":")
                            && (isBlankOrEnd(next + 1) || (flow > 0 && isFlowIndicator(bytes[next + 1])))
                        var before = i - 1
                        while before >= lineStart, bytes[before] == space || bytes[before] == tab { before -= 1 }
                        // `? *a` explicit keys, also inside flow collections (`[x, ?*a]`).
                        let questionBefore = before >= lineStart && bytes[before] == UInt8(ascii: "?")
                            && (before == lineStart || isBlank(bytes[before - 1])
                                || (flow > 0 && isFlowIndicator(bytes[before - 1])))
                        if colonAfter || questionBefore {
                            return Problem(kind: .aliasKey, line: line, column: column(i))
                        }
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                        previous = space
                        i = end
                        continue lineLoop
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "?"):
                    // In a flow collection `?*a` is an explicit key too: an aliased key.
                    if bytes[i] == UInt8(ascii: "?"), flow > 0, tokenStart, !inPlain, i + 1 < count,
                        bytes[i + 1] == UInt8(ascii: "*")
                    {
                        return Problem(kind: .aliasKey, line: line, column: column(i + 1))
                    }
                    if tokenStart && !inPlain && isBlankOrEnd(i + 1) {
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                        if flow == 0 {
                            // A compact nested entry: `- - value` or `- key: value`.
                            let entryColumn = i - lineStart + 1
                            if blocks.last.map({ $0 < entryColumn }) ?? true { blocks.append(entryColumn) }
                            if blocks.count > maximumDepth {
                                return Problem(kind: .tooDeep, line: line, column: column(i))
                            }
                        }
                    } else if tokenStart && !inPlain {
                        inPlain = true
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                    }
                case UInt8(ascii: ":"):
                    if isBlankOrEnd(i + 1) || (flow > 0 && i + 1 < count
                        && [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(bytes[i + 1]))
                    {
                        inPlain = false
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                    } else if tokenStart && !inPlain {
                        inPlain = true
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                    }
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    if tokenStart && !inPlain && flow == 0 {
                        blockScalarHere = true
                    }
                case space, tab, carriageReturn:
                    break
                case UInt8(ascii: "&"), UInt8(ascii: "!"):
                    // Anchors and tags are followed by their node on the same token stream.
                    if tokenStart && !inPlain {
                        while i + 1 < count, !isBlank(bytes[i + 1]), !isFlowIndicator(bytes[i + 1]) { i += 1 }
                        previous = space
                        i += 1
                        continue lineLoop
                    }
                default:
                    if tokenStart && !inPlain {
                        inPlain = true
                        values += 1
                        if values > maximumValues { return Problem(kind: .tooManyValues, line: line, column: column(i)) }
                    }
                }
                previous = byte
                i += 1
            }
            if blockScalarHere { blockScalarParent = indent }
            if inPlain && flow == 0 {
                if plainParent == nil { plainParent = indent }
            } else {
                plainParent = nil
            }
            if i < count { i += 1; line += 1; lineStart = i }
        }
        return nil
    }
}
