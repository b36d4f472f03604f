import ArgumentParser

/// Reads repeatable flag values the way Tyger's CLI (Go, pflag) does, so command lines
/// written for it mean the same here.
///
/// - ``stringToString(_:flag:)`` (`--env`, `--tag`, `--buffer`, `--buffer-tag`): a value with
///   one `=` is one pair, commas included (`A=1,2`); a value with more is a comma-separated
///   record, quoted as CSV (`a=1,b=2`, `"A=1,2",B=3`). Repeats merge; a later key wins.
/// - ``stringToInt(_:flag:)`` (`--endpoint`): always split on commas.
/// - ``stringSlice(_:flag:)`` (`--input`, `--output`): each value is a CSV record; repeats append.
enum PflagValues {
    static func stringToString(_ values: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            let equalsCount = value.count { $0 == "=" }
            let pairs: [String]
            switch equalsCount {
            case 0: throw invalid(value, flag, "\(value) must be formatted as key=value")
            case 1: pairs = [String(value.drop { $0 == "\"" }.reversed().drop { $0 == "\"" }.reversed())]
            default: pairs = try csvRecord(value, flag: flag)
            }
            for pair in pairs {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw invalid(value, flag, "\(pair) must be formatted as key=value")
                }
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
        }
        return result
    }

    /// `NAME=PORT` pairs, in the order written; a later repeat of a name replaces the earlier.
    static func stringToInt(_ values: [String], flag: String) throws -> [(key: String, value: Int)] {
        var result: [(key: String, value: Int)] = []
        for value in values {
            for pair in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw invalid(value, flag, "\(pair) must be formatted as key=value")
                }
                let key = String(pair[..<equals])
                let number = pair[pair.index(after: equals)...]
                guard let parsed = Int(number) else {
                    throw invalid(value, flag, "strconv.Atoi: parsing \"\(number)\": invalid syntax")
                }
                result.removeAll { $0.key == key }
                result.append((key, parsed))
            }
        }
        return result
    }

    static func stringSlice(_ values: [String], flag: String) throws -> [String] {
        try values.flatMap { $0.isEmpty ? [] : try csvRecord($0, flag: flag) }
    }

    /// One record of RFC 4180 CSV, as Go's `encoding/csv` reads it: fields separated by commas,
    /// a field in double quotes may hold commas and doubled quotes.
    static func csvRecord(_ text: String, flag: String) throws -> [String] {
        var fields: [String] = []
        var characters = Array(text)[...]
        var column = 1
        while true {
            var field = ""
            if characters.first == "\"" {
                characters.removeFirst()
                column += 1
                var closed = false
                while let character = characters.popFirst() {
                    column += 1
                    if character == "\"" {
                        if characters.first == "\"" {
                            characters.removeFirst()
                            column += 1
                            field.append("\"")
                        } else {
                            closed = true
                            break
                        }
                    } else {
                        field.append(character)
                    }
                }
                guard closed, characters.isEmpty || characters.first == "," else {
                    throw invalid(text, flag, "parse error on line 1, column \(column): extraneous or missing \" in quoted-field")
                }
            } else {
                while let character = characters.first, character != "," {
                    if character == "\"" {
                        throw invalid(text, flag, "parse error on line 1, column \(column): bare \" in non-quoted-field")
                    }
                    field.append(character)
                    characters.removeFirst()
                    column += 1
                }
            }
            fields.append(field)
            guard characters.first == "," else { return fields }
            characters.removeFirst()
            column += 1
        }
    }

    /// pflag's words: `invalid argument "VALUE" for "-e, --env" flag: CAUSE`.
    static func invalid(_ value: String, _ flag: String, _ cause: String) -> CommandLineError {
        CommandLineError("invalid argument \"\(value)\" for \"\(flag)\" flag: \(cause)")
    }
}
