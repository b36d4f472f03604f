/// Reads the YAML that Kubernetes clients send (`application/yaml` bodies, server-side apply).
///
/// A subset, enough for Kubernetes manifests: block mappings and sequences, flow collections,
/// plain, single- and double-quoted scalars, `|` and `>` block scalars, comments and one
/// document. Anchors, aliases, tags and multi-line plain scalars are not supported and fail.
enum YAMLReader {
    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    static func parse(_ text: String) throws(ParseError) -> JSONValue {
        var parser = Parser(text: text)
        return try parser.document()
    }

    private struct Line {
        var number: Int
        var indent: Int
        var content: String
    }

    private struct Parser {
        var raw: [String]
        var lines: [Line] = []
        var position = 0

        init(text: String) {
            raw = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
            }
            var index = 0
            for (number, line) in raw.enumerated() {
                let content = Self.stripComment(line)
                let trimmed = content.trimmingSpaces
                if trimmed == "---" && lines.isEmpty { continue }
                if trimmed == "---" || trimmed == "..." { break }
                if trimmed.isEmpty { continue }
                let indent = content.prefix { $0 == " " }.count
                lines.append(Line(number: number, indent: indent, content: String(content.dropFirst(indent)).trimmingTrailing))
                index += 1
            }
        }

        /// Removes a `#` comment that is outside quotes and starts the line or follows a space.
        static func stripComment(_ line: String) -> String {
            var quote: Character?
            var previous: Character = " "
            var result = ""
            for character in line {
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "\"" || character == "'" {
                    quote = character
                } else if character == "#" && (previous == " " || previous == "\t") {
                    break
                }
                result.append(character)
                previous = character
            }
            return result
        }

        mutating func document() throws(ParseError) -> JSONValue {
            guard !lines.isEmpty else { return .null }
            let value = try block(indent: lines[0].indent)
            if position < lines.count { throw ParseError(line: lines[position].number + 1, reason: "unexpected indentation") }
            return value
        }

        mutating func block(indent: Int) throws(ParseError) -> JSONValue {
            let line = lines[position]
            if line.content == "-" || line.content.hasPrefix("- ") { return try sequence(indent: line.indent) }
            if Self.splitKey(line.content) != nil { return try mapping(indent: line.indent) }
            position += 1
            return try Self.scalarOrFlow(line.content, line: line.number)
        }

        mutating func mapping(indent: Int) throws(ParseError) -> JSONValue {
            var members: [String: JSONValue] = [:]
            while position < lines.count, lines[position].indent == indent {
                let line = lines[position]
                guard let (key, rest) = Self.splitKey(line.content) else {
                    throw ParseError(line: line.number + 1, reason: "expected 'key: value'")
                }
                position += 1
                members[key] = try value(after: rest, parentIndent: indent, line: line)
            }
            return .object(members)
        }

        mutating func sequence(indent: Int) throws(ParseError) -> JSONValue {
            var elements: [JSONValue] = []
            while position < lines.count, lines[position].indent == indent,
                lines[position].content == "-" || lines[position].content.hasPrefix("- ")
            {
                let line = lines[position]
                let item = String(line.content.dropFirst()).trimmingSpaces
                if item.isEmpty {
                    position += 1
                    if position < lines.count, lines[position].indent > indent {
                        elements.append(try block(indent: lines[position].indent))
                    } else {
                        elements.append(.null)
                    }
                    continue
                }
                let offset = line.content.count - String(line.content.dropFirst()).drop { $0 == " " }.count
                if item == "-" || item.hasPrefix("- ") || Self.splitKey(item) != nil {
                    // `- key: value` opens a mapping whose further keys align with `key`.
                    lines[position] = Line(number: line.number, indent: indent + offset, content: item)
                    elements.append(try block(indent: indent + offset))
                } else if item.hasPrefix("|") || item.hasPrefix(">") {
                    position += 1
                    elements.append(blockScalar(header: item, parentIndent: indent))
                } else {
                    position += 1
                    elements.append(try Self.scalarOrFlow(item, line: line.number))
                }
            }
            return .array(elements)
        }

        mutating func value(after rest: String, parentIndent: Int, line: Line) throws(ParseError) -> JSONValue {
            if rest.isEmpty {
                guard position < lines.count else { return .null }
                let next = lines[position]
                if next.indent > parentIndent { return try block(indent: next.indent) }
                if next.indent == parentIndent, next.content == "-" || next.content.hasPrefix("- ") {
                    return try sequence(indent: parentIndent)
                }
                return .null
            }
            if rest.hasPrefix("|") || rest.hasPrefix(">") { return blockScalar(header: rest, parentIndent: parentIndent) }
            if rest.hasPrefix("&") || rest.hasPrefix("*") || rest.hasPrefix("!") {
                throw ParseError(line: line.number + 1, reason: "anchors, aliases and tags are not supported")
            }
            return try Self.scalarOrFlow(rest, line: line.number)
        }

        /// `|` keeps line breaks, `>` folds them; `-` strips the final newline, `+` keeps trailing blank lines.
        mutating func blockScalar(header: String, parentIndent: Int) -> JSONValue {
            let folded = header.hasPrefix(">")
            let chomp: Character? = header.dropFirst().first { $0 == "-" || $0 == "+" }
            let startLine = position > 0 ? lines[position - 1].number + 1 : 0
            var endLine = raw.count
            while position < lines.count, lines[position].indent > parentIndent { position += 1 }
            if position < lines.count { endLine = lines[position].number }
            var body = Array(raw[startLine..<min(endLine, raw.count)])
            let indent = body.first { !$0.trimmingSpaces.isEmpty }.map { $0.prefix { $0 == " " }.count } ?? 0
            body = body.map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }
            while chomp != "+", body.last?.isEmpty == true { body.removeLast() }
            var text = folded ? body.joined(separator: " ") : body.joined(separator: "\n")
            if chomp != "-" && !body.isEmpty { text += "\n" }
            return .string(text)
        }

        /// Splits `key: value` (or `key:`) at the first colon outside quotes and brackets.
        static func splitKey(_ content: String) -> (String, String)? {
            var quote: Character?
            var depth = 0
            var index = content.startIndex
            while index < content.endIndex {
                let character = content[index]
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "\"" || character == "'" {
                    quote = character
                } else if character == "[" || character == "{" {
                    depth += 1
                } else if character == "]" || character == "}" {
                    depth -= 1
                } else if character == ":", depth == 0 {
                    let next = content.index(after: index)
                    if next == content.endIndex || content[next] == " " {
                        var key = String(content[..<index]).trimmingSpaces
                        if key.count >= 2, let first = key.first, first == "\"" || first == "'", key.last == first {
                            key = (try? scalar(key, line: 0))?.stringValue ?? key
                        }
                        let value = next == content.endIndex ? "" : String(content[next...]).trimmingSpaces
                        return (key, value)
                    }
                }
                index = content.index(after: index)
            }
            return nil
        }

        static func scalarOrFlow(_ text: String, line: Int) throws(ParseError) -> JSONValue {
            if text.hasPrefix("[") || text.hasPrefix("{") {
                var flow = FlowParser(characters: Array(text), line: line)
                let value = try flow.value()
                flow.skipSpaces()
                guard flow.index == flow.characters.count else { throw ParseError(line: line + 1, reason: "unexpected text after a flow collection") }
                return value
            }
            return try scalar(text, line: line)
        }

        static func scalar(_ text: String, line: Int) throws(ParseError) -> JSONValue {
            if text.hasPrefix("\"") {
                guard text.count >= 2, text.hasSuffix("\""), let value = try? JSONValue(parsing: text) else {
                    throw ParseError(line: line + 1, reason: "unterminated or invalid double-quoted string")
                }
                return value
            }
            if text.hasPrefix("'") {
                guard text.count >= 2, text.hasSuffix("'") else { throw ParseError(line: line + 1, reason: "unterminated single-quoted string") }
                return .string(String(text.dropFirst().dropLast()).replacingAll("''", with: "'"))
            }
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let integer = Int(text), !text.hasPrefix("+") { return JSONValue(integer) }
            if text.contains("."), let number = Double(text), text.allSatisfy({ "0123456789.-eE+".contains($0) }) {
                return .number(number)
            }
            return .string(text)
        }
    }

    /// `[a, b]` and `{k: v}` with plain or quoted scalars.
    private struct FlowParser {
        let characters: [Character]
        var index = 0
        let line: Int

        init(characters: [Character], line: Int) {
            self.characters = characters
            self.line = line
        }

        mutating func skipSpaces() {
            while index < characters.count, characters[index] == " " { index += 1 }
        }

        func fail(_ reason: String) -> ParseError { ParseError(line: line + 1, reason: reason) }

        mutating func value() throws(ParseError) -> JSONValue {
            skipSpaces()
            guard index < characters.count else { throw fail("unexpected end of a flow collection") }
            switch characters[index] {
            case "[":
                index += 1
                var elements: [JSONValue] = []
                skipSpaces()
                if index < characters.count, characters[index] == "]" {
                    index += 1
                    return .array(elements)
                }
                while true {
                    elements.append(try value())
                    skipSpaces()
                    guard index < characters.count else { throw fail("unterminated '['") }
                    if characters[index] == "," {
                        index += 1
                    } else if characters[index] == "]" {
                        index += 1
                        return .array(elements)
                    } else {
                        throw fail("expected ',' or ']'")
                    }
                }
            case "{":
                index += 1
                var members: [String: JSONValue] = [:]
                skipSpaces()
                if index < characters.count, characters[index] == "}" {
                    index += 1
                    return .object(members)
                }
                while true {
                    guard let key = try value().stringValue else { throw fail("flow mapping keys must be strings") }
                    skipSpaces()
                    guard index < characters.count, characters[index] == ":" else { throw fail("expected ':'") }
                    index += 1
                    members[key] = try value()
                    skipSpaces()
                    guard index < characters.count else { throw fail("unterminated '{'") }
                    if characters[index] == "," {
                        index += 1
                    } else if characters[index] == "}" {
                        index += 1
                        return .object(members)
                    } else {
                        throw fail("expected ',' or '}'")
                    }
                }
            default:
                let start = index
                if characters[index] == "\"" || characters[index] == "'" {
                    let quote = characters[index]
                    index += 1
                    while index < characters.count {
                        if characters[index] == "\\" && quote == "\"" {
                            index += 2
                            continue
                        }
                        if characters[index] == quote {
                            if quote == "'", index + 1 < characters.count, characters[index + 1] == "'" {
                                index += 2
                                continue
                            }
                            break
                        }
                        index += 1
                    }
                    index += 1
                } else {
                    while index < characters.count, !",]}".contains(characters[index]),
                        !(characters[index] == ":" && (index + 1 == characters.count || characters[index + 1] == " "))
                    {
                        index += 1
                    }
                }
                let text = String(characters[start..<min(index, characters.count)]).trimmingSpaces
                return try Parser.scalar(text, line: line)
            }
        }
    }
}

extension String {
    fileprivate var trimmingTrailing: String {
        var text = Substring(self)
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }

    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
