import Foundation
import Testing
@testable import TygerKit

@Suite("Spec files: errors name the field, its path and its position")
struct SpecFileErrorTests {
    // MARK: Unknown fields

    @Test("Unknown field at the top level of a run")
    func unknownTopLevelField() throws {
        let error = try runRejection(
            """
            job:
              codespec: hello
            clustr: c1
            """
        )
        expectProblem(
            error, keyPath: "clustr", line: 3, column: 1,
            words: ["unknown field 'clustr'", "allowed: job, worker, cluster, timeoutSeconds, tags"]
        )
        #expect(error.related.isEmpty)
        #expect(error.description.hasPrefix("run.yaml:3:1: clustr: unknown field 'clustr'"))
    }

    @Test("Unknown field in the job target")
    func unknownJobField() throws {
        let error = try runRejection(
            """
            job:
              codespec: hello
              replicas: 2
              image: ghcr.io/x
            """
        )
        expectProblem(
            error, keyPath: "job.image", line: 4, column: 3,
            words: ["unknown field 'image'", "allowed: codespec, buffers, tags, bufferTtl, nodePool, replicas"]
        )
    }

    @Test("The worker target has only codespec, nodePool and replicas")
    func unknownWorkerField() throws {
        let error = try runRejection(
            """
            job:
              codespec: hello
            worker:
              codespec: w
              image: ghcr.io/x
            """
        )
        expectProblem(
            error, keyPath: "worker.image", line: 5, column: 3,
            words: ["unknown field 'image'", "allowed: codespec, nodePool, replicas"]
        )
        #expect(!error.message.contains("did you mean"), "nothing is close to 'image'")
    }

    @Test("Fields a job target has but a worker target does not", arguments: ["buffers", "tags"])
    func jobOnlyFieldsInWorker(field: String) throws {
        let error = try runRejection("job: {codespec: a}\nworker:\n  codespec: w\n  \(field): {a: b}\n")
        expectProblem(error, keyPath: "worker.\(field)", line: 4, column: 3, words: ["unknown field '\(field)'"])
    }

    @Test("Unknown field inside an inline codespec")
    func unknownInlineCodespecField() throws {
        let error = try runRejection(
            """
            job:
              codespec: hello
            worker:
              codespec:
                image: x
                comand: [a]
            """
        )
        expectProblem(
            error, keyPath: "worker.codespec.comand", line: 6, column: 5,
            words: ["unknown field 'comand'", "did you mean 'command'?"]
        )
    }

    @Test("Unknown field inside resources")
    func unknownResourcesField() throws {
        let error = try codespecRejection(
            """
            name: x
            resources:
              requests:
                cpu: 1
                gpu: 1
            """
        )
        expectProblem(
            error, keyPath: "resources.requests.gpu", line: 5, column: 5,
            words: ["unknown field 'gpu'", "allowed: cpu, memory"]
        )

        let top = try codespecRejection("name: x\nresources:\n  cpus: 1\n")
        expectProblem(
            top, keyPath: "resources.cpus", line: 3, column: 3,
            words: ["unknown field 'cpus'", "allowed: requests, limits, gpu, shm"]
        )
    }

    @Test("Unknown field in buffers")
    func unknownBuffersField() throws {
        let error = try codespecRejection("name: x\nbuffers:\n  input: [a]\n")
        expectProblem(
            error, keyPath: "buffers.input", line: 3, column: 3,
            words: ["unknown field 'input'", "did you mean 'inputs'?"]
        )
    }

    @Test(
        "Did-you-mean suggestions",
        arguments: [
            ("endpoint: {a: 1}", "endpoint", "endpoints"),
            ("workingdir: /x", "workingdir", "workingDir"),
            ("imagee: x", "imagee", "image"),
            ("maxreplica: 2", "maxreplica", "maxReplicas"),
            ("enviroment: {}", "enviroment", nil),
        ])
    func didYouMean(line: String, field: String, suggestion: String?) throws {
        let error = try codespecRejection("name: x\n\(line)\n")
        expectProblem(error, keyPath: field, line: 2, column: 1, words: ["unknown field '\(field)'"])
        if let suggestion {
            #expect(error.message.hasSuffix("(did you mean '\(suggestion)'?)"), "\(error.message)")
        } else {
            #expect(!error.message.contains("did you mean"), "\(error.message)")
        }
    }

    @Test("Columns count Unicode scalars, not bytes")
    func columnsCountScalars() throws {
        let error = try codespecRejection(#"{image: "ünïcödé", imagee: x}"#)
        expectProblem(error, keyPath: "imagee", line: 1, column: 20, words: ["unknown field 'imagee'"])
    }

    // MARK: Wrong types

    @Test("A list where a string belongs")
    func listForString() throws {
        let error = try codespecRejection("name: x\nimage: [a, b]\n")
        expectProblem(error, keyPath: "image", line: 2, column: 1, words: ["expected a string", "found a list"])
    }

    @Test("A string where an integer belongs")
    func stringForInteger() throws {
        let error = try codespecRejection("name: x\nmaxReplicas: many\n")
        expectProblem(
            error, keyPath: "maxReplicas", line: 2, column: 1,
            words: ["expected an integer", "found the string 'many'"]
        )
    }

    @Test("A quoted \"2\" is not an integer")
    func quotedReplicas() throws {
        let error = try runRejection(
            """
            job:
              codespec: a
            worker:
              codespec: w
              replicas: "2"
            """
        )
        expectProblem(
            error, keyPath: "worker.replicas", line: 5, column: 3,
            words: ["expected an integer", "found the string '2'"]
        )
    }

    @Test(
        "Other non-integers for replicas",
        arguments: [
            ("1.5", "found the number 1.5"), ("true", "found the boolean true"), ("[1]", "found a list"),
            ("{n: 1}", "found a mapping"), ("'3'", "found the string '3'"),
        ])
    func nonIntegerReplicas(value: String, words: String) throws {
        let error = try runRejection("job:\n  codespec: a\n  replicas: \(value)\n")
        expectProblem(error, keyPath: "job.replicas", line: 3, column: 3, words: ["expected an integer", words])
    }

    @Test("A mapping where a list belongs")
    func mappingForList() throws {
        let error = try codespecRejection("name: x\ncommand: {a: b}\n")
        expectProblem(error, keyPath: "command", line: 2, column: 1, words: ["expected a list", "found a mapping"])
    }

    @Test("A string where a list belongs")
    func stringForList() throws {
        let error = try codespecRejection("name: x\nargs: --verbose\n")
        expectProblem(
            error, keyPath: "args", line: 2, column: 1,
            words: ["expected a list", "found the string '--verbose'"]
        )
    }

    @Test("A list item of the wrong type points at the item")
    func wrongListItem() throws {
        let error = try codespecRejection("name: x\nargs:\n  - ok\n  - [nested]\n")
        expectProblem(error, keyPath: "args[1]", line: 4, column: 5, words: ["expected a string", "found a list"])
    }

    @Test("A list where the endpoint mapping belongs")
    func listForEndpoints() throws {
        let error = try codespecRejection("kind: worker\nendpoints: [rpc]\n")
        expectProblem(error, keyPath: "endpoints", line: 2, column: 1, words: ["expected a mapping", "found a list"])
    }

    @Test("A quoted port is not an integer")
    func quotedPort() throws {
        let error = try runRejection(
            """
            job: {codespec: a}
            worker:
              codespec:
                endpoints:
                  rpc: "8080"
            """
        )
        expectProblem(
            error, keyPath: "worker.codespec.endpoints.rpc", line: 5, column: 7,
            words: ["expected an integer", "found the string '8080'"]
        )
    }

    @Test("null for a required field: the job target")
    func nullJob() throws {
        let error = try runRejection("job:\ncluster: c\n")
        expectProblem(error, keyPath: "job", line: 1, column: 1, words: ["expected a mapping", "found null"])
    }

    @Test("null for a required field: the job codespec", arguments: ["~", "null", ""])
    func nullCodespec(value: String) throws {
        let error = try runRejection("job:\n  codespec: \(value)\n  replicas: 1\n")
        expectProblem(
            error, keyPath: "job.codespec", line: 2, column: 3,
            words: ["a name, 'name/versions/N' or an inline codespec"]
        )
    }

    @Test("A list is not a codespec reference")
    func listAsCodespec() throws {
        let error = try runRejection("job:\n  codespec: [a, b]\n")
        expectProblem(
            error, keyPath: "job.codespec", line: 2, column: 3,
            words: ["a name, 'name/versions/N' or an inline codespec"]
        )
    }

    @Test("null for a string field inside a map")
    func nullEnvValue() throws {
        let error = try codespecRejection("name: x\nenv:\n  A: 1\n  B:\n")
        expectProblem(error, keyPath: "env.B", line: 4, column: 3, words: ["expected a string", "found null"])
    }

    @Test(
        "A document that is not a mapping",
        arguments: [
            ("hello", "found the string 'hello'"), ("- a\n- b", "found a list"), ("42", "found the integer 42"),
        ])
    func rootNotMapping(text: String, words: String) throws {
        let error = try runRejection(text)
        expectProblem(error, keyPath: "", line: 1, column: 1, words: ["expected a mapping", words])
    }

    @Test("A bad quantity names the field and the grammar problem")
    func badQuantity() throws {
        let error = try codespecRejection("name: x\nresources:\n  limits:\n    memory: 4GB\n")
        expectProblem(error, keyPath: "resources.limits.memory", line: 4, column: 5, words: ["'4GB'", "quantity"])
    }

    @Test("An unknown kind")
    func unknownKind() throws {
        let error = try codespecRejection("kind: service\nname: x\n")
        expectProblem(
            error, keyPath: "kind", line: 1, column: 1,
            words: ["'service' is not a codespec kind", "allowed: job, worker"]
        )
    }

    // MARK: Integers

    @Test("Only decimal integers", arguments: ["010", "0x10", "0o10", "0b11", "1_000", "1:30", "00"])
    func nonDecimalIntegers(value: String) throws {
        let error = try runRejection("job:\n  codespec: a\n  replicas: \(value)\n")
        expectProblem(error, keyPath: "job.replicas", line: 3, column: 3, words: ["expected"])
        #expect(error.message.contains(value), "\(error.message)")
        #expect(
            error.message.contains("decimal integer") || error.message.contains("an integer"), "\(error.message)"
        )
    }

    @Test("010 and 0x10 are called out as non-decimal", arguments: ["010", "0x10"])
    func octalAndHex(value: String) throws {
        let error = try runRejection("job:\n  codespec: a\n  replicas: \(value)\n")
        expectProblem(
            error, keyPath: "job.replicas", line: 3, column: 3,
            words: ["expected a decimal integer, found '\(value)'"]
        )
    }

    @Test("An integer out of range")
    func integerOutOfRange() throws {
        let error = try runRejection("job: {codespec: a}\ntimeoutSeconds: 99999999999999999999999\n")
        expectProblem(
            error, keyPath: "timeoutSeconds", line: 2, column: 1,
            words: ["99999999999999999999999 is out of range"]
        )
    }

    // MARK: Missing fields

    @Test("Missing job")
    func missingJob() throws {
        let error = try runRejection("cluster: c\nworker:\n  codespec: w\n")
        expectProblem(error, keyPath: "job", line: 1, column: 1, words: ["'job'", "missing"])
    }

    @Test("Missing job.codespec")
    func missingJobCodespec() throws {
        let error = try runRejection("cluster: c\njob:\n  nodePool: p\n")
        expectProblem(
            error, keyPath: "job.codespec", line: 2, column: 1,
            words: ["the job target needs a codespec", "a name, 'name/versions/N' or an inline codespec"]
        )
    }

    @Test("Missing worker.codespec")
    func missingWorkerCodespec() throws {
        let error = try runRejection("job: {codespec: a}\nworker:\n  replicas: 2\n")
        expectProblem(
            error, keyPath: "worker.codespec", line: 2, column: 1, words: ["the worker target needs a codespec"]
        )
    }

    // MARK: References

    @Test(
        "A malformed reference says which forms are expected",
        arguments: [
            "Foo", "x/versions/", "x/version/2", "x/versions/-1", "x/versions/2/extra", "/versions/2", "x/versions/1.5",
            "x/versions/99999999999999999999999", "my codespec", ".", "..",
        ])
    func malformedReference(text: String) throws {
        let error = try runRejection("job:\n  codespec: '\(text)'\n")
        expectProblem(
            error, code: .invalidReference, keyPath: "job.codespec", line: 2, column: 3,
            words: ["'\(text)' is not a codespec reference", "expected 'name' or 'name/versions/N'"]
        )
    }

    @Test("A malformed worker reference")
    func malformedWorkerReference() throws {
        let error = try runRejection("job: {codespec: a}\nworker:\n  codespec: W/versions/1\n")
        expectProblem(
            error, code: .invalidReference, keyPath: "worker.codespec", line: 3, column: 3,
            words: ["'W/versions/1' is not a codespec reference"]
        )
    }

    // MARK: Inline kinds

    @Test("An inline kind: worker under job: is an error")
    func inlineWorkerUnderJob() throws {
        let error = try runRejection(
            """
            job:
              codespec:
                kind: worker
                image: x
            """
        )
        expectProblem(
            error, keyPath: "job.codespec.kind", line: 3, column: 5,
            words: ["under 'job' is a job codespec", "kind: worker"]
        )
    }

    @Test("An inline kind: job under worker: is an error")
    func inlineJobUnderWorker() throws {
        let error = try runRejection("job: {codespec: a}\nworker:\n  codespec: {image: x, kind: Job}\n")
        expectProblem(
            error, keyPath: "worker.codespec.kind", line: 3, column: 24,
            words: ["under 'worker' is a worker codespec", "kind: job"]
        )
    }

    // MARK: YAML syntax

    @Test("Duplicate keys")
    func duplicateKeys() throws {
        let error = try codespecRejection("name: a\nimage: x\nname: b\n")
        expectProblem(error, keyPath: "", line: 1, column: 1, words: ["duplicate field 'name'"])

        let nested = try runRejection("job:\n  codespec: a\n  replicas: 1\n  replicas: 2\n")
        expectProblem(nested, keyPath: "", line: 3, column: 3, words: ["duplicate field 'replicas'"])
    }

    @Test("Tabs for indentation")
    func tabs() throws {
        let error = try runRejection("job:\n\tcodespec: a\n")
        expectProblem(error, keyPath: "", line: 2, column: 1, words: ["invalid YAML", "tabs"])
        #expect(error.description.hasPrefix("run.yaml:2:1: "))
    }

    @Test("Empty documents", arguments: ["", "\n\n", "# nothing here\n", "   "])
    func emptyDocument(text: String) throws {
        let error = try runRejection(text)
        expectProblem(error, keyPath: "", line: 1, column: 1, words: ["the document is empty"])
        let codespec = try codespecRejection(text)
        expectProblem(codespec, keyPath: "", line: 1, column: 1, words: ["the document is empty"])
    }

    @Test(
        "Syntax errors carry line and column",
        arguments: [
            ("job:\n  codespec: a\n  nodePool: x: y\n", 3, 14),
            ("job:\n  codespec: [a, b\ncluster: c\n", 3, 8),
            ("name: \"unterminated\nimage: x\n", 3, 1),
            ("name: x\n  image: y\n", 2, 8),
        ])
    func syntaxErrors(text: String, line: Int, column: Int) throws {
        let error = try runRejection(text)
        expectProblem(error, keyPath: "", line: line, column: column, words: ["invalid YAML"])
        #expect(error.description.hasPrefix("run.yaml:\(line):\(column): invalid YAML"), "\(error)")
    }

    // MARK: Encoding

    @Test("A byte-order mark is not a column")
    func byteOrderMark() throws {
        let run = try SpecFile.decodeRun(from: "\u{FEFF}job:\n  codespec: a\n")
        #expect(run.job.codespec == .named("a", version: nil))
        let error = try runRejection("\u{FEFF}clustr: c\njob: {codespec: a}\n")
        expectProblem(error, keyPath: "clustr", line: 1, column: 1, words: ["unknown field 'clustr'"])
    }

    @Test("CRLF line endings decode and count lines alike")
    func crlf() throws {
        let run = try SpecFile.decodeRun(from: "job:\r\n  codespec: a\r\n  replicas: 2\r\n")
        #expect(run.job.replicas == 2)
        let error = try runRejection("job:\r\n  codespec: a\r\n  replicas: 0\r\n")
        expectProblem(error, keyPath: "job.replicas", line: 3, column: 3, words: ["replicas is 0"])
    }

    @Test("A file larger than the limit is refused before parsing")
    func oversizedFile() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "tygerkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appending(path: "huge.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: SpecFile.maximumSize + 1).write(to: url)
        let error = try rejection { () throws(TygerError) -> RunSpec in try SpecFile.decodeRun(contentsOf: url) }
        #expect(error.code == .invalidSpec)
        #expect(error.message.contains("larger than 4 MiB"), "\(error)")

        // Exactly at the limit it is read (and found empty: only a comment).
        try Data(repeating: UInt8(ascii: "#"), count: SpecFile.maximumSize).write(to: url)
        let empty = try rejection { () throws(TygerError) -> RunSpec in try SpecFile.decodeRun(contentsOf: url) }
        #expect(empty.message.contains("the document is empty"), "\(empty)")
    }

    @Test("Invalid UTF-8 is rejected, not replaced")
    func invalidUTF8Text() throws {
        var bytes = Array("name: ok\nimage: ".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\n".utf8)
        let error = try rejection { () throws(TygerError) -> String in
            try SpecFile.text(of: Data(bytes), file: "bad.yaml")
        }
        expectProblem(error, keyPath: "", line: 2, column: nil, words: ["not valid UTF-8", "byte offset 16"])
        #expect(error.location?.file == "bad.yaml")
    }

    @Test("A spec file with invalid UTF-8 is rejected with its path")
    func invalidUTF8File() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "tygerkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appending(path: "run.yaml")
        var bytes = Array("job:\n  codespec: a\ncluster: caf".utf8)
        bytes += [0xE9]  // Latin-1 'é'
        bytes += Array("\n".utf8)
        try Data(bytes).write(to: url)

        let error = try rejection { () throws(TygerError) -> RunSpec in try SpecFile.decodeRun(contentsOf: url) }
        expectProblem(error, keyPath: "", line: 3, column: nil, words: ["not valid UTF-8"])
        #expect(error.location?.file == url.path)
    }

    @Test("A missing file is an error naming the path")
    func missingFile() throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "no-such-\(UUID().uuidString).yaml")
        let error = try rejection { () throws(TygerError) -> Codespec in try SpecFile.decodeCodespec(contentsOf: url) }
        #expect(error.code == .invalidSpec)
        #expect(error.message.contains(url.path))
    }

    // MARK: Several problems at once

    @Test("Every validation problem in a codespec file is reported")
    func multipleCodespecProblems() throws {
        let error = try codespecRejection(
            """
            kind: worker
            name: Bad_Name
            maxReplicas: 0
            endpoints:
              rpc: 70000
              RPC: 8080
            """
        )
        let all = problems(of: error)
        #expect(all.count == 4, "\(error)")
        #expect(error.related.count == 3)
        expectProblem(
            try problem(at: "name", in: error), keyPath: "name", line: 2, column: 1,
            words: ["'Bad_Name' is not a valid codespec name"]
        )
        expectProblem(
            try problem(at: "maxReplicas", in: error), keyPath: "maxReplicas", line: 3, column: 1,
            words: ["maxReplicas is 0", "1 or more"]
        )
        let endpointProblems = all.filter { $0.location?.keyPath.hasPrefix("endpoints.") == true }
        #expect(endpointProblems.count == 2)
        expectProblem(
            try problem(at: "endpoints.rpc", in: error), keyPath: "endpoints.rpc", line: 5, column: 3,
            words: ["port 70000 is out of range", "1-65535"]
        )
        expectProblem(
            try problem(at: "endpoints.RPC", in: error), keyPath: "endpoints.RPC", line: 6, column: 3,
            words: ["'RPC' clashes with 'rpc'", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"]
        )
        for problem in all { #expect(problem.location?.file == "codespec.yaml") }

        let lines = error.description.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(
            lines.contains(
                "codespec.yaml:2:1: name: 'Bad_Name' is not a valid codespec name; allowed: ^[a-z0-9\\-._]+$"))
        #expect(lines.contains("codespec.yaml:5:3: endpoints.rpc: port 70000 is out of range; allowed: 1-65535"))
    }

    @Test("Every validation problem in a run file is reported, inline codespecs included")
    func multipleRunProblems() throws {
        let error = try runRejection(
            """
            job:
              codespec:
                image: x
                endpoints: {rpc: 1}
              replicas: 0
            worker:
              codespec:
                buffers: {inputs: [a]}
                maxReplicas: 2
              replicas: 3
            timeoutSeconds: 0
            tags:
              bad key: v
            """
        )
        #expect(problems(of: error).count == 6, "\(error)")
        expectProblem(
            try problem(at: "job.codespec.endpoints", in: error), keyPath: "job.codespec.endpoints", line: 4,
            column: 5, words: ["a job codespec cannot have endpoints"]
        )
        expectProblem(
            try problem(at: "job.replicas", in: error), keyPath: "job.replicas", line: 5, column: 3,
            words: ["replicas is 0", "allowed: 1 to 100000"]
        )
        expectProblem(
            try problem(at: "worker.codespec.buffers", in: error), keyPath: "worker.codespec.buffers", line: 8,
            column: 5, words: ["a worker codespec cannot have buffers"]
        )
        expectProblem(
            try problem(at: "worker.replicas", in: error), keyPath: "worker.replicas", line: 10, column: 3,
            words: ["replicas is 3", "at most 2"]
        )
        expectProblem(
            try problem(at: "timeoutSeconds", in: error), keyPath: "timeoutSeconds", line: 11, column: 1,
            words: ["timeoutSeconds is 0", "allowed: 1 to 315360000"]
        )
        expectProblem(
            try problem(at: "tags.bad key", in: error), keyPath: "tags.bad key", line: 13, column: 3,
            words: ["'bad key' is not a valid tag key"]
        )
    }

    @Test("An invalid fixture-style file reports through its URL")
    func problemsFromFile() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "tygerkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appending(path: "worker.yaml")
        try Data("kind: worker\nname: w\nendpoints:\n  rpc: 0\n".utf8).write(to: url)

        let error = try rejection { () throws(TygerError) -> Codespec in try SpecFile.decodeCodespec(contentsOf: url) }
        expectProblem(error, keyPath: "endpoints.rpc", line: 4, column: 3, words: ["port 0 is out of range"])
        #expect(error.description == "\(url.path):4:3: endpoints.rpc: port 0 is out of range; allowed: 1-65535")
    }
}
