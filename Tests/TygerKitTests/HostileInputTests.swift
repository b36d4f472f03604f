import Foundation
import Testing
@testable import TygerKit

/// One bad spec file in `Fixtures/Bad` and the error it must give, from `Fixtures/Bad/expected.tsv`.
struct BadSpecCase: Sendable, CustomTestStringConvertible {
    var file: String
    var code: String
    var keyPath: String
    var line: Int?
    var fragment: String

    var testDescription: String { file }
    /// `codespec-*` files are codespecs; everything else is a run file.
    var isCodespec: Bool { file.hasPrefix("codespec-") }

    static let directory: URL = {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the Fixtures resource folder is missing from the test bundle")
        }
        return fixtures.appending(path: "Bad")
    }()

    /// Every row of the manifest: file, code, key path, line (`-` for none), message fragment.
    static let all: [BadSpecCase] = {
        guard let text = try? String(contentsOf: directory.appending(path: "expected.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { row -> BadSpecCase? in
            guard !row.hasPrefix("#") else { return nil }
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else { return nil }
            return BadSpecCase(file: fields[0], code: fields[1], keyPath: fields[2], line: Int(fields[3]), fragment: fields[4])
        }
    }()
}

@Suite("Hostile input: every bad spec file in the corpus gives its error")
struct HostileInputCorpusTests {
    @Test("The corpus has at least 100 files, each listed once in the manifest")
    func manifestCoversTheCorpus() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: BadSpecCase.directory.path)
            .filter { $0 != "expected.tsv" }
        let listed = BadSpecCase.all.map(\.file)
        #expect(files.count >= 100)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        #expect(Set(files) == Set(listed), "files without a manifest row, or rows without a file")
    }

    @Test("Each bad file is rejected with its code, key path, line and message", arguments: BadSpecCase.all)
    func badFileIsRejected(_ bad: BadSpecCase) throws {
        let url = BadSpecCase.directory.appending(path: bad.file)
        let error = try #require(rejection(of: url, asCodespec: bad.isCodespec), "\(bad.file) was accepted")
        #expect(error.code.description == bad.code, "message: \(error.message)")
        let location = try #require(error.location, "no location; message: \(error.message)")
        #expect(location.file == url.path)
        #expect(location.keyPath == bad.keyPath, "message: \(error.message)")
        if let line = bad.line {
            #expect(location.line == line, "message: \(error.message)")
        }
        #expect(error.message.contains(bad.fragment), "message: \(error.message)")
        #expect(error.message.utf8.count < 2_000, "messages stay readable")
    }

    /// Decoding a file through the text entry point gives the same error, for files that are text.
    @Test("Text input gives the same error as the file", arguments: BadSpecCase.all)
    func textInputMatchesFileInput(_ bad: BadSpecCase) throws {
        let data = try Data(contentsOf: BadSpecCase.directory.appending(path: bad.file))
        guard let text = String(validating: data, as: UTF8.self), !data.starts(with: [0xEF, 0xBB, 0xBF]) else { return }
        let error: TygerError
        do {
            if bad.isCodespec {
                _ = try SpecFile.decodeCodespec(from: text, file: "x.yaml")
            } else {
                _ = try SpecFile.decodeRun(from: text, file: "x.yaml")
            }
            Issue.record("\(bad.file) was accepted as text")
            return
        } catch let caught {
            error = caught
        }
        #expect(error.location?.keyPath == bad.keyPath)
        #expect(error.message.contains(bad.fragment), "message: \(error.message)")
    }

    private func rejection(of url: URL, asCodespec: Bool) -> TygerError? {
        do {
            if asCodespec {
                _ = try SpecFile.decodeCodespec(contentsOf: url)
            } else {
                _ = try SpecFile.decodeRun(contentsOf: url)
            }
            return nil
        } catch {
            return error
        }
    }
}

@Suite("Hostile input: size, depth and alias bounds")
struct HostileInputBoundsTests {
    private func runError(_ text: String) throws -> TygerError {
        do {
            _ = try SpecFile.decodeRun(from: text, file: "big.yaml")
        } catch {
            return error
        }
        Issue.record("the document was accepted")
        throw CancellationError()
    }

    @Test("A 10 MB text is rejected by size before parsing")
    func tenMegabyteText() throws {
        let text = "job:\n  codespec: hello\ncluster: " + String(repeating: "a", count: 10 * 1024 * 1024) + "\n"
        let error = try runError(text)
        #expect(error.code == .invalidSpec)
        #expect(error.message.contains("larger than 4 MiB; allowed: spec documents up to 4194304 bytes"))
        #expect(error.location?.file == "big.yaml")
    }

    @Test("A 10 MB file is rejected by size without reading all of it")
    func tenMegabyteFile() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "hostile-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(repeating: UInt8(ascii: "#"), count: 10 * 1024 * 1024).write(to: url)
        #expect(throws: TygerError.self) { try SpecFile.decodeRun(contentsOf: url) }
        do {
            _ = try SpecFile.decodeRun(contentsOf: url)
        } catch {
            #expect(error.message.contains("larger than 4 MiB"))
        }
    }

    @Test("A text one byte over 4 MiB is rejected; one at 4 MiB is parsed")
    func exactlyAtTheLimit() throws {
        let head = "job:\n  codespec: hello\n# "
        let atLimit = head + String(repeating: "x", count: SpecFile.maximumSize - head.utf8.count)
        #expect(atLimit.utf8.count == SpecFile.maximumSize)
        let run = try SpecFile.decodeRun(from: atLimit)
        #expect(run.job.replicas == 1)
        let error = try runError(atLimit + "x")
        #expect(error.message.contains("is 4194305 bytes, larger than 4 MiB"))
    }

    @Test("A 4 MB scalar value decodes and validates")
    func largeScalar() throws {
        let text = "job:\n  codespec: hello\ntags:\n  a: " + String(repeating: "v", count: 4_000_000) + "\n"
        let error = try runError(text)
        #expect(error.location?.keyPath == "tags.a")
        #expect(error.message.contains("(4000000 bytes) is not a valid tag value"))
    }

    @Test(
        "Deep nesting is rejected before the recursive parser runs",
        arguments: [
            ("100,000 [", "job: " + String(repeating: "[", count: 100_000), 1),
            ("100,000 {", "job: " + String(repeating: "{a: ", count: 100_000), 1),
            ("100,000 [ then ]", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), 1),
            ("100,000 compact '- '", String(repeating: "- ", count: 100_000) + "x", 1),
            ("2,000 block mappings", (0..<2_000).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined(), 257),
            ("[ on 100,000 lines", "job:\n" + String(repeating: "  [\n", count: 100_000), 256),
        ]
    )
    func deepNesting(name: String, text: String, line: Int) throws {
        let error = try runError(text)
        #expect(error.code == .invalidSpec)
        #expect(error.message.contains("nests deeper than 256 levels at line \(line)"), "\(name): \(error.message)")
        #expect(error.location?.line == line)
    }

    @Test("10,000 levels of block mappings are rejected (by size: the indentation alone is 50 MB)")
    func tenThousandBlockLevels() throws {
        let text = (0..<10_000).map { String(repeating: " ", count: $0) + "k:\n" }.joined()
        let error = try runError(text)
        #expect(error.message.contains("larger than 4 MiB"))
    }

    @Test("Block and flow nesting add up")
    func blockAndFlowNestingAddUp() throws {
        let chunk = (0..<200).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
        let text = chunk + String(repeating: " ", count: 200) + String(repeating: "{a: ", count: 100)
        let error = try runError(text)
        #expect(error.message.contains("nests deeper than 256 levels"))
    }

    @Test("A billion-laughs document is rejected before anything expands it")
    func billionLaughs() throws {
        var text = "a0: &a0 [\(Array(repeating: "lol", count: 10).joined(separator: ", "))]\n"
        for level in 1...12 {
            text += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]\n"
        }
        text += "job: {codespec: *a12}\n"
        let error = try runError(text)
        // Aliases are allowed; the anchors' holders are not fields, so nothing is expanded.
        #expect(error.message.contains("unknown field 'a0'"))
        #expect(error.location?.line == 1)
    }

    @Test("An alias bomb used as a mapping key is rejected before the composer hashes it")
    func aliasBombAsKey() throws {
        var text = "a0: &a0 [\(Array(repeating: "lol", count: 10).joined(separator: ", "))]\n"
        for level in 1...12 {
            text += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]\n"
        }
        text += "? *a12\n: x\n? *a12\n: y\n"
        let error = try runError(text)
        #expect(error.message.contains("an alias (*name) is used as a mapping key at line 14"))
    }

    /// Found by the fuzzer: `?*a8` inside a flow list is an explicit key, and the composer
    /// hashed the expanded alias for minutes.
    @Test("An aliased explicit key inside a flow list is rejected before the composer",
        arguments: [
            ("x: [a, ?*a12]", "an alias (*name) is used as a mapping key at line 14"),
            ("x: [a,?*a12]", "an alias (*name) is used as a mapping key at line 14"),
            ("x: [?*a12, a]", "an alias (*name) is used as a mapping key at line 14"),
        ])
    func keysThatExpand(_ line: String, _ expected: String) throws {
        var text = "a0: &a0 [\(Array(repeating: "lol", count: 10).joined(separator: ", "))]\n"
        for level in 1...12 {
            text += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]\n"
        }
        text += line + "\n"
        let error = try runError(text)
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test("Anchors without aliases are accepted and change nothing")
    func anchorsAlone() throws {
        let run = try SpecFile.decodeRun(from: "job: &j\n  codespec: &c hello\n  replicas: &r 2\n")
        #expect(run.job.replicas == 2)
    }

    @Test("Plain scalars with '*', '[' and quotes inside are not mistaken for aliases or nesting")
    func plainScalarsWithIndicators() throws {
        let codespec = try SpecFile.decodeCodespec(
            from: """
                kind: job
                image: x
                command: [sh, -c]
                args:
                  - ls *.txt [a] it's "quoted" {b}
                  - 'single [[[ *x'
                  - "double [[[ *x \\" ]"
                  - |
                    if [ "$x" ]; then echo *; fi
                    \(String(repeating: "[", count: 300))
                env: {A: "[*]", B: x*y}
                """
        )
        #expect(codespec.args.count == 4)
        #expect(codespec.args[0] == "ls *.txt [a] it's \"quoted\" {b}")
        #expect(codespec.env["B"] == "x*y")
    }

    @Test("More than 200,000 values are rejected before the composer builds them")
    func tooManyValues() throws {
        let text = "job:\n  codespec:\n    image: x\n    args: [" + String(repeating: "a,", count: 1_000_000) + "a]\n"
        let error = try runError(text)
        #expect(error.message.contains("too many values"))
        #expect(error.message.contains("allowed: at most 200000"))
    }

    @Test("A list of 100,000 entries decodes within the bounds")
    func manyValuesWithinBounds() throws {
        let text = "job:\n  codespec:\n    image: x\n    args: [" + String(repeating: "a,", count: 99_999) + "a]\n"
        let run = try SpecFile.decodeRun(from: text)
        guard case .inline(let codespec) = run.job.codespec else {
            Issue.record("expected an inline codespec")
            return
        }
        #expect(codespec.args.count == 100_000)
    }

    /// Looking keys up by a linear scan made this take three minutes; it must be linear.
    @Test("A mapping of 60,000 entries decodes (key lookup is not quadratic)")
    func largeMapping() throws {
        let entries = (0..<60_000).map { "      V\($0): x\n" }.joined()
        let run = try SpecFile.decodeRun(from: "job:\n  codespec:\n    image: x\n    env:\n" + entries)
        guard case .inline(let codespec) = run.job.codespec else {
            Issue.record("expected an inline codespec")
            return
        }
        #expect(codespec.env.count == 60_000)
    }

    @Test("Thousands of duplicate keys give a short message")
    func manyDuplicates() throws {
        let error = try runError((0..<20_000).map { "k\($0 % 10_000): x\n" }.joined())
        #expect(error.message.contains("and 9995 more"))
        #expect(error.message.utf8.count < 500)
    }

    @Test("The decoder's node budget stops a document that expands beyond a million values")
    func nodeBudget() throws {
        // Aliases are rejected before composition, so the budget is the second line of defence;
        // it is exercised here with a small budget on a document that has no aliases.
        let document = try SpecDocument(text: "kind: job\nargs: [a, b, c, d, e, f]\n", file: nil)
        #expect(throws: (any Error).self) {
            _ = try decodeNode(Codespec.self, node: document.root, codingPath: [], budget: DecodingBudget(nodes: 4))
        }
    }
}
