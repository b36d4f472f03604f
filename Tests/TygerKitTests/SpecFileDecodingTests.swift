import Foundation
import Testing
@testable import TygerKit

// MARK: - Helpers shared by the spec-file suites

/// The real spec files under `Fixtures/`.
enum Fixture {
    static let codespecFiles = ["worker-codespec.yaml", "job-codespec.yaml"]
    static let runFiles = ["run.yaml", "run-inline.yaml", "run-inline.json"]

    static func url(_ name: String) throws -> URL {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return directory.appending(path: name)
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    static func codespec(_ name: String) throws -> Codespec {
        try SpecFile.decodeCodespec(contentsOf: url(name))
    }

    static func run(_ name: String) throws -> RunSpec {
        try SpecFile.decodeRun(contentsOf: url(name))
    }
}

/// Thrown after recording an issue when a call that should fail succeeded.
struct UnexpectedSuccess: Error {}

/// Runs `body`, which must throw a `TygerError`, and returns that error.
func rejection<T>(
    _ body: () throws(TygerError) -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> TygerError {
    do {
        let value = try body()
        Issue.record("expected a TygerError, but got \(value)", sourceLocation: sourceLocation)
        throw UnexpectedSuccess()
    } catch let error as TygerError {
        return error
    }
}

/// Async variant of ``rejection(_:sourceLocation:)`` for store calls.
func asyncRejection<T>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async throws -> TygerError {
    do {
        let value = try await body()
        Issue.record("expected a TygerError, but got \(value)", sourceLocation: sourceLocation)
        throw UnexpectedSuccess()
    } catch let error as TygerError {
        return error
    }
}

func runRejection(
    _ text: String,
    file: String? = "run.yaml",
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> TygerError {
    try rejection(
        { () throws(TygerError) -> RunSpec in try SpecFile.decodeRun(from: text, file: file) },
        sourceLocation: sourceLocation)
}

func codespecRejection(
    _ text: String,
    file: String? = "codespec.yaml",
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> TygerError {
    try rejection(
        { () throws(TygerError) -> Codespec in try SpecFile.decodeCodespec(from: text, file: file) },
        sourceLocation: sourceLocation)
}

/// The error and its related errors, in order.
func problems(of error: TygerError) -> [TygerError] {
    [error] + error.related
}

/// The one problem at `keyPath`, failing the test when there is none or more than one.
func problem(
    at keyPath: String,
    in error: TygerError,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> TygerError {
    let matching = problems(of: error).filter { $0.location?.keyPath == keyPath }
    #expect(matching.count == 1, "problems at \(keyPath) in:\n\(error)", sourceLocation: sourceLocation)
    return try #require(matching.first, sourceLocation: sourceLocation)
}

/// Checks one reported problem: its code, key path, position and the words its message must contain.
func expectProblem(
    _ error: TygerError,
    code: TygerError.Code = .invalidSpec,
    keyPath: String,
    line: Int?,
    column: Int?,
    words: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(error.code == code, "code of: \(error)", sourceLocation: sourceLocation)
    #expect(error.location?.keyPath == keyPath, "key path of: \(error)", sourceLocation: sourceLocation)
    #expect(error.location?.line == line, "line of: \(error)", sourceLocation: sourceLocation)
    #expect(error.location?.column == column, "column of: \(error)", sourceLocation: sourceLocation)
    for word in words {
        #expect(
            error.message.contains(word), "'\(word)' missing from: \(error.message)", sourceLocation: sourceLocation)
    }
}

// MARK: - Real spec files that must decode

@Suite("Spec files: decoding real files")
struct SpecFileDecodingTests {
    @Test("The documented run file with every field")
    func runFileFromSpec() throws {
        let run = try Fixture.run("run.yaml")

        #expect(run.job.codespec == .named("mycodespec", version: 22))
        #expect(run.job.codespec.text == "mycodespec/versions/22")
        #expect(run.job.nodePool == "cpunp")
        #expect(run.job.replicas == 1)
        #expect(run.job.buffers.isEmpty)
        #expect(run.job.tags.isEmpty)

        let worker = try #require(run.worker)
        #expect(worker.codespec == .named("myworkercodespec", version: nil))
        #expect(worker.codespec.text == "myworkercodespec")
        #expect(worker.nodePool == "gpunp")
        #expect(worker.replicas == 2)

        #expect(run.cluster == "mycluster")
        #expect(run.timeoutSeconds == 43_200)
        #expect(run.tags.isEmpty)
        #expect(run.isDistributed)
    }

    @Test("A worker codespec file")
    func workerCodespecFile() throws {
        let codespec = try Fixture.codespec("worker-codespec.yaml")

        #expect(codespec.kind == .worker)
        #expect(codespec.name == "gadgetron-worker")
        #expect(codespec.image == "ghcr.io/gadgetron/gadgetron:4.2")
        #expect(codespec.command == ["gadgetron"])
        #expect(codespec.args == ["--port", "$(TYGER_GADGETRON_ENDPOINT_PORT)", "--log-level", "info"])
        #expect(codespec.workingDir == "/opt/gadgetron")
        // `OMP_NUM_THREADS: 8` is a YAML integer, read as the text written.
        #expect(
            codespec.env == ["GADGETRON_HOME": "/opt/gadgetron", "OMP_NUM_THREADS": "8", "LOG_FORMAT": "json"]
        )
        #expect(codespec.identity == "gadgetron-identity")
        #expect(codespec.maxReplicas == 4)
        // Document order is kept.
        #expect(codespec.endpoints.map(\.name) == ["gadgetron", "metrics"])
        #expect(codespec.endpoints.map(\.port) == [9002, 9090])
        #expect(codespec.endpoints.first?.addressesVariable == "TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES")
        #expect(codespec.resources == nil)
        #expect(codespec.buffers == nil)
        #expect(codespec.version == nil)
        #expect(codespec.createdAt == nil)
    }

    @Test("A job codespec file with buffers and resources")
    func jobCodespecFile() throws {
        let codespec = try Fixture.codespec("job-codespec.yaml")

        #expect(codespec.kind == .job, "kind defaults to job")
        #expect(codespec.name == "recon")
        #expect(codespec.image == "ghcr.io/example/recon:1.0")
        #expect(codespec.command == ["python3", "-m", "recon"])
        #expect(codespec.args == ["--input", "$(INPUT_PIPE)", "--output", "$(OUTPUT_PIPE)"])
        #expect(codespec.workingDir == nil)
        #expect(codespec.env == ["PYTHONUNBUFFERED": "1"])
        #expect(codespec.identity == nil)
        #expect(codespec.maxReplicas == 3)
        #expect(codespec.endpoints.isEmpty)

        let buffers = try #require(codespec.buffers)
        #expect(buffers.inputs == ["input"])
        #expect(buffers.outputs == ["output", "log-stream"])

        let resources = try #require(codespec.resources)
        let requests = try #require(resources.requests)
        let limits = try #require(resources.limits)
        #expect(requests.cpu?.text == "500m")
        #expect(requests.cpu?.milliValue == 500)
        #expect(requests.memory?.text == "1Gi")
        #expect(requests.memory?.integerValue == 1_073_741_824)
        #expect(limits.cpu?.text == "2")
        #expect(limits.cpu == Quantity(2))
        #expect(limits.memory?.text == "4Gi")
        #expect(limits.memory?.integerValue == 4 * 1_073_741_824)
        #expect(resources.gpu == Quantity(1))
        #expect(resources.gpu?.text == "1")
        #expect(resources.shm?.text == "512Mi")
        #expect(resources.shm?.integerValue == 512 * 1_048_576)
    }

    @Test("A run with inline job and worker codespecs", arguments: ["run-inline.yaml", "run-inline.json"])
    func runWithInlineCodespecs(file: String) throws {
        let run = try Fixture.run(file)

        guard case .inline(let job) = run.job.codespec else {
            Issue.record("the job codespec is not inline: \(run.job.codespec)")
            return
        }
        #expect(job.kind == .job)
        #expect(job.name == nil)
        #expect(job.image == "ghcr.io/example/client:2.1")
        #expect(job.command == ["client"])
        #expect(job.args == ["--workers", "2"])
        #expect(job.env == ["MODE": "distributed"])
        #expect(job.endpoints.isEmpty)
        #expect(job.resources == nil)
        #expect(run.job.codespec.text == nil)
        #expect(run.job.nodePool == "cpunp")
        #expect(run.job.replicas == 1)
        #expect(run.job.tags == ["purpose": "demo"])

        let target = try #require(run.worker)
        guard case .inline(let worker) = target.codespec else {
            Issue.record("the worker codespec is not inline: \(target.codespec)")
            return
        }
        #expect(worker.kind == .worker, "an inline codespec under worker: is a worker codespec")
        #expect(worker.name == nil)
        #expect(worker.image == "ghcr.io/gadgetron/gadgetron:4.2")
        #expect(worker.command == ["gadgetron"])
        #expect(worker.endpoints == [Endpoint(name: "gadgetron", port: 9002)])
        let requests = try #require(worker.resources?.requests)
        #expect(requests.cpu?.text == "3000m")
        #expect(requests.cpu == Quantity(3))
        #expect(requests.memory?.text == "4G")
        #expect(requests.memory?.integerValue == 4_000_000_000)
        #expect(worker.resources?.limits == nil)
        #expect(worker.resources?.gpu == nil)
        #expect(target.nodePool == "gpunp")
        #expect(target.replicas == 2)

        #expect(run.cluster == "mycluster")
        #expect(run.timeoutSeconds == 3600)
        #expect(run.tags == ["experiment": "exp-7", "owner": "team.recon"])
    }

    @Test("The JSON run file decodes to the same run as its YAML twin")
    func jsonEqualsYAML() throws {
        let yaml = try Fixture.run("run-inline.yaml")
        let json = try Fixture.run("run-inline.json")
        #expect(yaml == json)
    }

    @Test("Text and URL decoding agree, and the URL's path names the file")
    func textAndURLAgree() throws {
        let url = try Fixture.url("worker-codespec.yaml")
        let fromText = try SpecFile.decodeCodespec(from: Fixture.text("worker-codespec.yaml"), file: "w.yaml")
        #expect(try SpecFile.decodeCodespec(contentsOf: url) == fromText)
    }

    @Test("Defaults: replicas 1, timeout 43200, no worker, no cluster, no tags")
    func runDefaults() throws {
        let run = try SpecFile.decodeRun(from: "job:\n  codespec: hello\n")
        #expect(run.job.codespec == .named("hello", version: nil))
        #expect(run.job.replicas == 1)
        #expect(run.job.nodePool == nil)
        #expect(run.worker == nil)
        #expect(!run.isDistributed)
        #expect(run.cluster == nil)
        #expect(run.timeoutSeconds == RunSpec.defaultTimeoutSeconds)
        #expect(RunSpec.defaultTimeoutSeconds == 43_200)
        #expect(run.tags.isEmpty)

        let worker = try SpecFile.decodeRun(from: "job: {codespec: a}\nworker: {codespec: b}\n").worker
        #expect(worker?.replicas == 1)
        #expect(worker?.nodePool == nil)
    }

    @Test("Codespec defaults: kind job, empty lists and maps")
    func codespecDefaults() throws {
        let codespec = try SpecFile.decodeCodespec(from: "name: minimal\n")
        #expect(codespec == Codespec(name: "minimal"))
        #expect(codespec.kind == .job)
        #expect(codespec.image == nil)
        #expect(codespec.command.isEmpty && codespec.args.isEmpty && codespec.env.isEmpty)
        #expect(codespec.endpoints.isEmpty)
        #expect(codespec.buffers == nil && codespec.resources == nil && codespec.maxReplicas == nil)
    }

    @Test(
        "kind is case-insensitive",
        arguments: [
            ("Worker", CodespecKind.worker), ("WORKER", .worker), ("worker", .worker), ("Job", .job), ("JOB", .job),
        ])
    func kindIsCaseInsensitive(written: String, kind: CodespecKind) throws {
        let codespec = try SpecFile.decodeCodespec(from: "kind: \(written)\nname: k\n")
        #expect(codespec.kind == kind)
        #expect(try SpecFile.encode(codespec).contains("kind: \(kind.rawValue)\n"), "written lower-case")
    }

    @Test("An inline codespec may repeat the kind of its position, in any case")
    func inlineKindMatchingPosition() throws {
        let run = try SpecFile.decodeRun(
            from: """
                job:
                  codespec: {kind: JOB, image: a}
                worker:
                  codespec: {kind: Worker, image: b}
                """
        )
        guard case .inline(let job) = run.job.codespec, case .inline(let worker)? = run.worker?.codespec else {
            Issue.record("expected inline codespecs: \(run)")
            return
        }
        #expect(job.kind == .job)
        #expect(worker.kind == .worker)
    }

    @Test("Any non-null scalar reads as a string, exactly as written")
    func scalarsReadAsWritten() throws {
        let codespec = try SpecFile.decodeCodespec(
            from: """
                name: "1234"
                image: 42
                args: [true, 0x10, 010, 1.50, 1e3, 2026-01-02, 1:30, yes]
                env:
                  A: yes
                  B: 0x10
                  C: 1.0
                  D: off
                  E: "quoted"
                """
        )
        #expect(codespec.name == "1234")
        #expect(codespec.image == "42")
        #expect(codespec.args == ["true", "0x10", "010", "1.50", "1e3", "2026-01-02", "1:30", "yes"])
        #expect(codespec.env == ["A": "yes", "B": "0x10", "C": "1.0", "D": "off", "E": "quoted"])
    }

    @Test("A numeric-looking codespec name is a reference, not a number")
    func numericReference() throws {
        let run = try SpecFile.decodeRun(from: "job:\n  codespec: 1234\n")
        #expect(run.job.codespec == .named("1234", version: nil))
    }

    @Test("Job buffers and tags decode")
    func jobBuffersAndTags() throws {
        let run = try SpecFile.decodeRun(
            from: """
                job:
                  codespec: recon/versions/3
                  buffers:
                    input: 7f3c9a
                    output: 55
                  tags:
                    stage: test
                tags:
                  a.b-c_d: "v-1.2_3"
                """
        )
        #expect(run.job.codespec == .named("recon", version: 3))
        #expect(run.job.buffers == ["input": "7f3c9a", "output": "55"])
        #expect(run.job.tags == ["stage": "test"])
        #expect(run.tags == ["a.b-c_d": "v-1.2_3"])
    }

    @Test("version and createdAt decode, as a stored codespec writes them")
    func storedFields() throws {
        let codespec = try SpecFile.decodeCodespec(
            from: "name: x\nversion: 3\ncreatedAt: 2026-01-02T03:04:05Z\n"
        )
        #expect(codespec.version == 3)
        #expect(codespec.createdAt == Date(timeIntervalSince1970: 1_767_323_045))
    }

    @Test("Integers: plain decimals with an optional sign are accepted")
    func decimalIntegers() throws {
        #expect(try SpecFile.decodeRun(from: "job: {codespec: a, replicas: +5}").job.replicas == 5)
        #expect(try SpecFile.decodeRun(from: "job: {codespec: a, replicas: 10}").job.replicas == 10)
        #expect(try SpecFile.decodeRun(from: "job: {codespec: a}\ntimeoutSeconds: 1\n").timeoutSeconds == 1)
    }
}
