import Testing
@testable import TygerWorkerDiscovery

/// The parser on its own, where byte offsets and decoded values can be checked exactly.
struct JSONStringArrayTests {
    private func parse(_ text: String) throws(JSONStringArray.SyntaxError) -> [String] {
        try JSONStringArray(parsing: text).strings
    }

    private func parse(bytes: [UInt8]) throws(JSONStringArray.SyntaxError) -> [String] {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONStringArray.SyntaxError) in
            try JSONStringArray(parsing: buffer).strings
        }
    }

    private func syntaxError(_ text: String) -> JSONStringArray.SyntaxError? {
        do {
            let strings = try parse(text)
            Issue.record("expected a syntax error, parsed \(strings)")
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesElementsInOrder() throws {
        #expect(try parse(#"["b","a","c"]"#) == ["b", "a", "c"])
    }

    @Test func acceptsEmptyArraysAndEmptyStrings() throws {
        #expect(try parse("[]") == [])
        #expect(try parse(" [ ] ") == [])
        #expect(try parse(#"["",""]"#) == ["", ""])
    }

    @Test func acceptsAllFourWhitespaceCharactersEverywhere() throws {
        #expect(try parse(" \t\r\n[ \t\r\n\"a\" \t\r\n, \t\r\n\"b\" \t\r\n] \t\r\n") == ["a", "b"])
    }

    @Test func decodesSimpleEscapes() throws {
        #expect(try parse(#"["\"\\\/\b\f\n\r\t"]"#) == ["\"\\/\u{8}\u{C}\n\r\t"])
    }

    @Test(arguments: [
        (#"["\u00e9"]"#, "é"),
        (#"["\u00E9t\u00e9"]"#, "été"),
        (#"["\u4e2d\u6587"]"#, "中文"),
        (#"["\uD83D\uDE00"]"#, "😀"),
        (#"["\ud83d\ude00x"]"#, "😀x"),
        (#"["\uDBFF\uDFFF"]"#, "\u{10FFFF}"),
        (#"["a\u0000b"]"#, "a\u{0}b"),
        (#"["\u0041\u007F"]"#, "A\u{7F}"),
        (#"["\u0800"]"#, "\u{800}"),
    ])
    func decodesUnicodeEscapes(input: String, expected: String) throws {
        let decoded = try parse(input)
        #expect(decoded == [expected])
        #expect(decoded.first.map { Array($0.utf8) } == Array(expected.utf8))
    }

    @Test func keepsRawMultiByteUTF8() throws {
        #expect(try parse(#"["日本","😀","é\u00e9é"]"#) == ["日本", "😀", "ééé"])
    }

    /// The fast path looks at eight bytes at a time; put every special byte at every position of a word.
    @Test func findsSpecialBytesAtEveryOffsetWithinAWord() throws {
        for prefix in 0..<20 {
            let padding = String(repeating: "a", count: prefix)
            #expect(try parse("[\"\(padding)\\n\(padding)\"]") == ["\(padding)\n\(padding)"])
            #expect(try parse("[\"\(padding)\",\"\(padding)é\"]") == [padding, padding + "é"])
            #expect(try parse("[\"\(padding)\u{7F}\"]") == [padding + "\u{7F}"])
            let error = syntaxError("[\"\(padding)\u{1F}\(padding)\"]")
            #expect(error?.offset == 2 + prefix)
            #expect(error?.reason.contains("U+001F") == true)
        }
    }

    @Test(arguments: [
        // (input, offset, part of the reason)
        ("", 0, "expected '[' to start a JSON array of strings but found end of input"),
        ("   ", 3, "expected '['"),
        ("[", 1, "expected a string element but found end of input"),
        (#"["a""#, 4, "array is not closed"),
        (#"["a"#, 3, "unterminated string (opened at byte offset 1)"),
        (#"["a",]"#, 4, "trailing comma"),
        (#"["a" , ]"#, 5, "trailing comma"),
        (#"[,"a"]"#, 1, "expected a string element but found ','"),
        (#"["a" "b"]"#, 5, "expected ',' or ']' after an array element but found '\"'"),
        ("[1]", 1, "a number"),
        (#"["a",-1]"#, 5, "a number"),
        (#"["a",null]"#, 5, "null is not allowed"),
        ("[true]", 1, "booleans are not allowed"),
        ("[{}]", 1, "an object"),
        ("[[]]", 1, "a nested array"),
        (#"{"a":"b"}"#, 0, "expected '[' to start a JSON array of strings but found '{'"),
        (#""a""#, 0, "expected '['"),
        ("['a']", 1, "JSON strings use double quotes"),
        (#"["a\x"]"#, 3, "invalid escape character 'x'"),
        (#"["a\"#, 4, "expected an escape character after '\\' but found end of input"),
        (#"["\u12G4"]"#, 6, "expected 4 hexadecimal digits after '\\u' but found 'G'"),
        (#"["\u12"]"#, 6, "expected 4 hexadecimal digits"),
        (#"["\uD83D"]"#, 2, "unpaired high surrogate \\uD83D"),
        (#"["\uD83Dx"]"#, 2, "unpaired high surrogate"),
        (#"["\uD83D\n"]"#, 2, "unpaired high surrogate"),
        (#"["\uDE00"]"#, 2, "unpaired low surrogate \\uDE00"),
        (#"["\uD83D\u0041"]"#, 8, "followed by \\u0041, expected a low surrogate"),
        (#"["\uD83D\uD83D"]"#, 8, "expected a low surrogate"),
        ("[\"a\nb\"]", 3, "control character U+000A must be escaped"),
        ("[\"\t\"]", 2, "control character U+0009"),
        (#"["a"] x"#, 6, "expected end of input after the closing ']' but found 'x'"),
        (#"["a"][]"#, 5, "expected end of input after the closing ']' but found '['"),
        (#"["a"],"#, 5, "expected end of input"),
        ("\u{FEFF}[]", 0, "byte order mark"),
    ])
    func rejectsMalformedInputAtTheRightOffset(input: String, offset: Int, reason: String) throws {
        let error = try #require(syntaxError(input))
        #expect(error.offset == offset)
        #expect(error.reason.contains(reason), "reason was: \(error.reason)")
    }

    @Test(arguments: [
        ([0xC3, 0x28], "0xC3"),              // lead byte followed by ASCII
        ([0xC0, 0x80], "0xC0"),              // overlong encoding of NUL
        ([0xE0, 0x80, 0x80], "0xE0"),        // overlong three-byte form
        ([0xED, 0xA0, 0x80], "0xED"),        // UTF-16 surrogate encoded in UTF-8
        ([0xF4, 0x90, 0x80, 0x80], "0xF4"),  // beyond U+10FFFF
        ([0x80], "0x80"),                    // stray continuation byte
        ([0xFF], "0xFF"),
        ([0xE6, 0x97], "0xE6"),              // truncated by the closing quote
    ] as [([UInt8], String)])
    func rejectsInvalidUTF8(sequence: [UInt8], byteName: String) throws {
        let bytes: [UInt8] = Array(#"["ok","a"#.utf8) + sequence + Array(#""]"#.utf8)
        do {
            _ = try parse(bytes: bytes)
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.offset == 8)
            #expect(error.reason.contains("invalid UTF-8"))
            #expect(error.reason.contains(byteName))
        }
    }

    @Test func acceptsEveryValidUTF8Length() throws {
        let text = "a\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"
        #expect(try parse(bytes: Array("[\"\(text)\"]".utf8)) == [text])
    }

    @Test func exposesElementBytesInOrder() throws {
        let array = try JSONStringArray(parsing: #"["ab","","\u0063"]"#)
        var seen: [(Int, [UInt8])] = []
        array.forEach { index, bytes in seen.append((index, Array(bytes))) }
        #expect(array.count == 3)
        #expect(seen.map(\.0) == [0, 1, 2])
        #expect(seen.map(\.1) == [Array("ab".utf8), [], Array("c".utf8)])
    }
}
