import Foundation
import Testing
@testable import TygerKit

/// The problems `validate()` reports for a codespec, or none.
private func validationProblems(_ codespec: Codespec) -> [TygerError] {
    do {
        try codespec.validate()
        return []
    } catch {
        return problems(of: error)
    }
}

/// The problems `validate()` reports for a run spec, or none.
private func validationProblems(_ run: RunSpec) -> [TygerError] {
    do {
        try run.validate()
        return []
    } catch {
        return problems(of: error)
    }
}

private func keyPaths(_ problems: [TygerError]) -> [String] {
    problems.map { $0.location?.keyPath ?? "<none>" }
}

private func worker(_ endpoints: [Endpoint]) -> Codespec {
    Codespec(kind: .worker, name: "w", endpoints: endpoints)
}

private func job(named name: String = "j", buffers: BufferParameters) -> Codespec {
    Codespec(name: name, buffers: buffers)
}

private func run(jobReplicas: Int = 1, workerReplicas: Int? = nil, timeout: Int = 43_200, tags: [String: String] = [:])
    -> RunSpec
{
    RunSpec(
        job: JobTarget(codespec: .named("j", version: nil), replicas: jobReplicas),
        worker: workerReplicas.map { WorkerSpec(codespec: .named("w", version: nil), replicas: $0) },
        timeoutSeconds: timeout,
        tags: tags
    )
}

@Suite("Validation: codespecs")
struct CodespecValidationTests {
    @Test("Valid codespec names", arguments: ["a", "my-codespec", "v1.2_x", "0", "a..b", "...", "-", "x.y-z_9"])
    func validNames(name: String) {
        #expect(validationProblems(Codespec(name: name)).isEmpty)
    }

    @Test(
        "Invalid codespec names, including '.' and '..'",
        arguments: [
            "", "A", "MyCodespec", "my codespec", "name/x", "ä", "a:b", ".", "..", "tab\t",
        ])
    func invalidNames(name: String) throws {
        let problems = validationProblems(Codespec(name: name))
        #expect(keyPaths(problems) == ["name"])
        let problem = try #require(problems.first)
        #expect(problem.code == .invalidSpec)
        // Control characters are escaped, so a message never writes them raw to a terminal.
        let shown = name.replacingOccurrences(of: "\t", with: "\\t")
        #expect(problem.message.contains("'\(shown)' is not a valid codespec name"), "\(problem.message)")
    }

    @Test("'.' and '..' are refused with a reason the pattern alone does not give", arguments: [".", ".."])
    func dotNames(name: String) throws {
        let error = try codespecRejection("name: '\(name)'\n")
        expectProblem(
            error, keyPath: "name", line: 1, column: 1,
            words: ["'\(name)' is not a valid codespec name", "other than '.' and '..'"]
        )
    }

    @Test("Valid endpoint names", arguments: ["rpc", "A", "a_1", "Gadgetron", "x__", "R2D2", "r-p-c", "test-worker", "1rpc", "_rpc", "rpc.v2"])
    func validEndpointNames(name: String) {
        #expect(validationProblems(worker([Endpoint(name: name, port: 80)])).isEmpty)
    }

    @Test("Invalid endpoint names", arguments: ["rpc:1", "r/p", "r$p", "r+p", "ünï", "a b", "", "rpc$"])
    func invalidEndpointNames(name: String) throws {
        let problems = validationProblems(worker([Endpoint(name: name, port: 80)]))
        #expect(keyPaths(problems) == ["endpoints.\(name)"])
        #expect(problems.first?.message.contains("is not a valid endpoint name") == true)
        #expect(problems.first?.message.contains("^[-._A-Za-z0-9]+$") == true)
    }

    @Test(
        "Endpoint ports",
        arguments: [
            (0, false), (1, true), (80, true), (65_535, true), (65_536, false),
            (70_000, false), (-1, false),
        ])
    func endpointPorts(port: Int, valid: Bool) throws {
        let problems = validationProblems(worker([Endpoint(name: "rpc", port: port)]))
        if valid {
            #expect(problems.isEmpty, "\(problems)")
        } else {
            #expect(keyPaths(problems) == ["endpoints.rpc"])
            #expect(problems.first?.message == "port \(port) is out of range; allowed: 1-65535")
        }
    }

    @Test(
        "Endpoint ports from a file, with positions",
        arguments: [
            (0, false), (1, true), (65_535, true),
            (65_536, false), (70_000, false),
        ])
    func endpointPortsFromFile(port: Int, valid: Bool) throws {
        let text = "kind: worker\nendpoints:\n  ok: 9000\n  rpc: \(port)\n"
        if valid {
            let codespec = try SpecFile.decodeCodespec(from: text)
            #expect(codespec.endpoints == [Endpoint(name: "ok", port: 9000), Endpoint(name: "rpc", port: port)])
        } else {
            let error = try codespecRejection(text)
            expectProblem(error, keyPath: "endpoints.rpc", line: 4, column: 3, words: ["port \(port) is out of range"])
            #expect(error.related.isEmpty)
        }
    }

    @Test("Endpoint names that clash after upper-casing")
    func endpointClash() throws {
        let problems = validationProblems(
            worker([Endpoint(name: "rpc", port: 1), Endpoint(name: "data", port: 2), Endpoint(name: "Rpc", port: 3)])
        )
        #expect(keyPaths(problems) == ["endpoints.Rpc"])
        let message = try #require(problems.first?.message)
        #expect(message.contains("'Rpc' clashes with 'rpc'"))
        #expect(message.contains("TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"))

        #expect(validationProblems(worker([Endpoint(name: "rpc", port: 1), Endpoint(name: "rpc2", port: 2)])).isEmpty)
    }

    @Test("A worker codespec cannot have buffers")
    func workerWithBuffers() throws {
        let codespec = Codespec(kind: .worker, name: "w", buffers: BufferParameters(inputs: ["a"]))
        let problems = validationProblems(codespec)
        #expect(keyPaths(problems) == ["buffers"])
        #expect(problems.first?.message.contains("a worker codespec cannot have buffers") == true)

        // Empty buffers are the same as none.
        #expect(validationProblems(Codespec(kind: .worker, name: "w", buffers: BufferParameters())).isEmpty)

        let error = try codespecRejection("kind: worker\nbuffers:\n  outputs: [out]\n")
        expectProblem(error, keyPath: "buffers", line: 2, column: 1, words: ["a worker codespec cannot have buffers"])
    }

    @Test("A job codespec cannot have endpoints")
    func jobWithEndpoints() throws {
        let problems = validationProblems(Codespec(kind: .job, name: "j", endpoints: [Endpoint(name: "rpc", port: 1)]))
        #expect(keyPaths(problems) == ["endpoints"])
        #expect(problems.first?.message.contains("a job codespec cannot have endpoints") == true)

        // In a file, a codespec without kind is a job.
        let error = try codespecRejection("name: j\nendpoints:\n  rpc: 8080\n")
        expectProblem(error, keyPath: "endpoints", line: 2, column: 1, words: ["a job codespec cannot have endpoints"])
    }

    @Test("Valid buffer names", arguments: ["a", "input", "log-stream", "a1", "0", "a-b-c", "9z"])
    func validBufferNames(name: String) {
        #expect(validationProblems(job(buffers: BufferParameters(inputs: [name]))).isEmpty)
        #expect(validationProblems(job(buffers: BufferParameters(outputs: [name]))).isEmpty)
    }

    @Test("Invalid buffer names", arguments: ["-a", "a-", "A", "Input", "a_b", "a.b", "", "in put", "ä"])
    func invalidBufferNames(name: String) throws {
        let problems = validationProblems(job(buffers: BufferParameters(inputs: ["ok"], outputs: ["fine", name])))
        #expect(keyPaths(problems) == ["buffers.outputs[1]"])
        #expect(problems.first?.message.contains("is not a valid buffer name") == true)
        #expect(problems.first?.message.contains("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$") == true)
    }

    @Test("A bad buffer name in a file points at the list item")
    func invalidBufferNameInFile() throws {
        let error = try codespecRejection("buffers:\n  inputs:\n    - good\n    - Bad_Name\n")
        expectProblem(
            error, keyPath: "buffers.inputs[1]", line: 4, column: 7, words: ["'Bad_Name' is not a valid buffer name"]
        )
    }

    @Test("Buffer names are unique across inputs and outputs")
    func bufferUniqueness() throws {
        let across = validationProblems(job(buffers: BufferParameters(inputs: ["data"], outputs: ["data"])))
        #expect(keyPaths(across) == ["buffers.outputs[0]"])
        #expect(across.first?.message.contains("already used by buffers.inputs[0]") == true)

        let within = validationProblems(job(buffers: BufferParameters(inputs: ["a", "b", "a"])))
        #expect(keyPaths(within) == ["buffers.inputs[2]"])
    }

    @Test("Buffer uniqueness ignores case")
    func bufferUniquenessIgnoresCase() throws {
        let problems = validationProblems(job(buffers: BufferParameters(inputs: ["Data"], outputs: ["data"])))
        // 'Data' breaks the pattern, and 'data' clashes with it.
        #expect(keyPaths(problems) == ["buffers.inputs[0]", "buffers.outputs[0]"])
        #expect(problems.last?.message.contains("already used by buffers.inputs[0]") == true)
    }

    @Test("maxReplicas must be at least 1", arguments: [(0, false), (-1, false), (1, true), (100, true)])
    func maxReplicas(value: Int, valid: Bool) {
        let problems = validationProblems(Codespec(name: "x", maxReplicas: value))
        if valid {
            #expect(problems.isEmpty)
        } else {
            #expect(keyPaths(problems) == ["maxReplicas"])
            #expect(problems.first?.message.contains("maxReplicas is \(value)") == true)
        }
    }

    @Test(
        "Valid environment variable names", arguments: ["FOO", "foo", "_X", "a.b", "a-b", "-x", ".x", "X1", "x_Y.z-1"])
    func validEnvironmentNames(name: String) {
        #expect(validationProblems(Codespec(name: "x", env: [name: "v"])).isEmpty)
    }

    @Test("Invalid environment variable names", arguments: ["1X", "", "A B", "A=B", "Ä", "$X", "9"])
    func invalidEnvironmentNames(name: String) {
        let problems = validationProblems(Codespec(name: "x", env: ["GOOD": "1", name: "v"]))
        #expect(keyPaths(problems) == ["env.\(name)"])
        #expect(problems.first?.message.contains("is not a valid environment variable name") == true)
    }

    @Test("An invalid environment name in a file points at the key")
    func invalidEnvironmentNameInFile() throws {
        let error = try codespecRejection("name: x\nenv:\n  OK: 1\n  1BAD: 2\n")
        expectProblem(error, keyPath: "env.1BAD", line: 4, column: 3, words: ["'1BAD' is not a valid environment"])
    }

    @Test("Empty image and working directory are rejected; absent ones are fine")
    func emptyStrings() {
        #expect(keyPaths(validationProblems(Codespec(name: "x", image: ""))) == ["image"])
        #expect(keyPaths(validationProblems(Codespec(name: "x", workingDir: ""))) == ["workingDir"])
        #expect(validationProblems(Codespec(name: "x", image: nil, workingDir: nil)).isEmpty)
    }

    @Test("NUL characters cannot reach exec")
    func nulCharacters() {
        let codespec = Codespec(name: "x", command: ["a", "b\u{0}"], args: ["\u{0}"], env: ["E": "v\u{0}"])
        #expect(keyPaths(validationProblems(codespec)) == ["command[1]", "args[0]", "env.E"])
    }

    @Test("Models built in code report key paths without file positions")
    func modelErrorsHaveNoPositions() throws {
        let error = try rejection { () throws(TygerError) in try Codespec(name: "BAD").validate() }
        #expect(error.location?.keyPath == "name")
        #expect(error.location?.file == nil)
        #expect(error.location?.line == nil)
        #expect(error.description.hasPrefix("name: 'BAD' is not a valid codespec name"))
    }
}

@Suite("Validation: resources")
struct ResourceValidationTests {
    private func resources(_ yaml: String) -> String { "name: x\nresources:\n\(yaml)" }

    @Test(
        "Negative quantities",
        arguments: [
            ("  requests:\n    cpu: -1\n", "resources.requests.cpu", 4),
            ("  requests:\n    memory: -1Gi\n", "resources.requests.memory", 4),
            ("  limits:\n    cpu: -500m\n", "resources.limits.cpu", 4),
            ("  limits:\n    memory: -1\n", "resources.limits.memory", 4),
            ("  gpu: -1\n", "resources.gpu", 3),
            ("  shm: -64Mi\n", "resources.shm", 3),
        ])
    func negativeQuantities(yaml: String, keyPath: String, line: Int) throws {
        let error = try codespecRejection(resources(yaml))
        #expect(error.related.isEmpty, "\(error)")
        expectProblem(
            error, keyPath: keyPath, line: line, column: line == 3 ? 3 : 5,
            words: ["is negative", "0 or more"]
        )
    }

    @Test("Zero is a valid amount")
    func zeroAmounts() throws {
        let codespec = try SpecFile.decodeCodespec(
            from: resources("  requests: {cpu: 0, memory: 0}\n  gpu: 0\n  shm: 0\n"))
        #expect(codespec.resources?.gpu == Quantity(0))
    }

    @Test(
        "gpu must be a whole number",
        arguments: [
            ("0.5", false), ("500m", false), ("1.5", false), ("1001m", false),
            ("1", true), ("2", true), ("1000m", true), ("0", true), ("1e1", true),
        ])
    func wholeGPUs(gpu: String, valid: Bool) throws {
        let text = resources("  gpu: \(gpu)\n")
        if valid {
            let codespec = try SpecFile.decodeCodespec(from: text)
            #expect(codespec.resources?.gpu?.text == gpu)
        } else {
            let error = try codespecRejection(text)
            expectProblem(
                error, keyPath: "resources.gpu", line: 3, column: 3, words: ["\(gpu) is not a whole number of GPUs"])
        }
    }

    @Test(
        "A request may not exceed its limit",
        arguments: [
            ("cpu", "2", "1", false), ("cpu", "1001m", "1", false), ("memory", "2Gi", "1Gi", false),
            ("memory", "1Gi", "1G", false), ("cpu", "1000m", "1", true), ("cpu", "1", "2", true),
            ("memory", "1G", "1Gi", true), ("memory", "1Gi", "1024Mi", true),
        ])
    func requestAboveLimit(field: String, request: String, limit: String, valid: Bool) throws {
        let text = resources("  requests:\n    \(field): \(request)\n  limits:\n    \(field): \(limit)\n")
        if valid {
            #expect(try SpecFile.decodeCodespec(from: text).resources?.requests != nil)
        } else {
            let error = try codespecRejection(text)
            expectProblem(
                error, keyPath: "resources.requests.\(field)", line: 4, column: 5,
                words: ["the \(field) request \(request) is more than its limit \(limit)"]
            )
        }
    }

    @Test("A request without a limit, or a limit without a request, is fine")
    func oneSided() throws {
        #expect(
            validationProblems(Codespec(name: "x", resources: CodespecResources(requests: ResourceAmounts(cpu: 64))))
                .isEmpty)
        #expect(
            validationProblems(Codespec(name: "x", resources: CodespecResources(limits: ResourceAmounts(cpu: 1))))
                .isEmpty)
    }
}

@Suite("Validation: runs")
struct RunValidationTests {
    @Test("Replicas must be at least 1, for the job and the worker", arguments: [0, -1])
    func replicas(value: Int) throws {
        #expect(keyPaths(validationProblems(run(jobReplicas: value))) == ["job.replicas"])
        #expect(keyPaths(validationProblems(run(workerReplicas: value))) == ["worker.replicas"])
        #expect(
            keyPaths(validationProblems(run(jobReplicas: value, workerReplicas: value)))
                == ["job.replicas", "worker.replicas"])
        let message = validationProblems(run(jobReplicas: value)).first?.message
        #expect(message == "replicas is \(value); allowed: 1 to 100000")

        let error = try runRejection("job:\n  codespec: a\nworker:\n  codespec: w\n  replicas: \(value)\n")
        expectProblem(error, keyPath: "worker.replicas", line: 5, column: 3, words: ["replicas is \(value)"])
    }

    /// A typo such as 99999999 is an error naming the field and the range, on every backend,
    /// before anything is allocated.
    @Test("Replicas have an upper bound", arguments: [100_001, 99_999_999, Int.max])
    func tooManyReplicas(value: Int) throws {
        #expect(keyPaths(validationProblems(run(workerReplicas: value))) == ["worker.replicas"])
        #expect(validationProblems(run(jobReplicas: value)).first?.message == "replicas is \(value); allowed: 1 to 100000")
        #expect(validationProblems(run(workerReplicas: 100_000)).isEmpty)
    }

    @Test("One replica is fine")
    func oneReplica() {
        #expect(validationProblems(run(jobReplicas: 1, workerReplicas: 1)).isEmpty)
    }

    @Test("An inline codespec's maxReplicas limits its target", arguments: [(2, true), (3, false)])
    func maxReplicasInline(replicas: Int, valid: Bool) throws {
        let text = """
            job:
              codespec: {image: j, maxReplicas: 1}
            worker:
              codespec:
                maxReplicas: 2
              replicas: \(replicas)
            """
        if valid {
            #expect(try SpecFile.decodeRun(from: text).worker?.replicas == replicas)
        } else {
            let error = try runRejection(text)
            expectProblem(
                error, keyPath: "worker.replicas", line: 6, column: 3,
                words: ["replicas is 3", "at most 2", "maxReplicas"]
            )
        }

        let jobError = try runRejection("job:\n  codespec: {maxReplicas: 1}\n  replicas: 2\n")
        expectProblem(jobError, keyPath: "job.replicas", line: 3, column: 3, words: ["replicas is 2", "at most 1"])
    }

    @Test("maxReplicas < 1 in an inline codespec")
    func inlineMaxReplicasBelowOne() throws {
        let error = try runRejection("job:\n  codespec:\n    maxReplicas: 0\n")
        let problem = try problem(at: "job.codespec.maxReplicas", in: error)
        expectProblem(problem, keyPath: "job.codespec.maxReplicas", line: 3, column: 5, words: ["maxReplicas is 0"])
    }

    @Test(
        "timeoutSeconds defaults to 43200 and must be at least 1",
        arguments: [
            (0, false), (-1, false), (1, true),
            (43_200, true), (315_360_000, true), (315_360_001, false), (9_223_372_036_854_775_806, false),
        ])
    func timeout(value: Int, valid: Bool) throws {
        let problems = validationProblems(run(timeout: value))
        if valid {
            #expect(problems.isEmpty)
        } else {
            #expect(keyPaths(problems) == ["timeoutSeconds"])
            #expect(problems.first?.message == "timeoutSeconds is \(value); allowed: 1 to 315360000 (ten years)")
        }
        #expect(RunSpec(job: JobTarget(codespec: .named("a", version: nil))).timeoutSeconds == 43_200)
        #expect(try SpecFile.decodeRun(from: "job: {codespec: a}").timeoutSeconds == 43_200)
    }

    @Test("At most 100 tags")
    func tagCount() throws {
        let hundred = Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", "v") })
        #expect(validationProblems(run(tags: hundred)).isEmpty)
        var tooMany = hundred
        tooMany["extra"] = "v"
        let problems = validationProblems(run(tags: tooMany))
        #expect(keyPaths(problems) == ["tags"])
        #expect(problems.first?.message.contains("there are 101 tags") == true)
        #expect(problems.first?.message.contains("at most 100") == true)

        var jobTags = RunSpec(job: JobTarget(codespec: .named("a", version: nil), tags: tooMany))
        #expect(keyPaths(validationProblems(jobTags)) == ["job.tags"])
        jobTags.job.tags = hundred
        #expect(validationProblems(jobTags).isEmpty)
    }

    @Test(
        "Tag keys",
        arguments: [
            ("a", true), ("A-b_c.9", true), (String(repeating: "k", count: 128), true),
            (String(repeating: "k", count: 129), false), ("", false), ("a b", false), ("key/x", false),
            ("ä", false), ("a:b", false), ("a@b", false),
        ])
    func tagKeys(key: String, valid: Bool) {
        for spec in [
            run(tags: [key: "v"]), RunSpec(job: JobTarget(codespec: .named("a", version: nil), tags: [key: "v"])),
        ] {
            let problems = validationProblems(spec)
            if valid {
                #expect(problems.isEmpty, "\(problems)")
            } else {
                #expect(problems.count == 1)
                #expect(problems.first?.location?.keyPath.hasSuffix("tags.\(key)") == true)
                #expect(problems.first?.message.contains("is not a valid tag key") == true)
                #expect(problems.first?.message.contains("^[a-zA-Z0-9-_.]{1,128}$") == true)
            }
        }
    }

    @Test(
        "Tag values",
        arguments: [
            ("", true), ("v", true), ("A-b_c.9", true), (String(repeating: "v", count: 256), true),
            (String(repeating: "v", count: 257), false), ("with space", false), ("a/b", false), ("é", false),
        ])
    func tagValues(value: String, valid: Bool) {
        let problems = validationProblems(run(tags: ["key": value]))
        if valid {
            #expect(problems.isEmpty, "\(problems)")
        } else {
            #expect(keyPaths(problems) == ["tags.key"])
            #expect(problems.first?.message.contains("is not a valid tag value") == true)
            #expect(problems.first?.message.contains("^[a-zA-Z0-9-_.]{0,256}$") == true)
        }
    }

    @Test("A tag problem in a file points at the tag")
    func tagInFile() throws {
        let error = try runRejection("job:\n  codespec: a\n  tags:\n    ok: fine\n    stage: not ok\n")
        expectProblem(
            error, keyPath: "job.tags.stage", line: 5, column: 5, words: ["'not ok' is not a valid tag value"])
    }

    @Test("Empty node pool, cluster and job buffer names are rejected")
    func emptyStrings() {
        var spec = RunSpec(
            job: JobTarget(codespec: .named("a", version: nil), nodePool: "", buffers: ["In": "id", "out": ""]),
            worker: WorkerSpec(codespec: .named("w", version: nil), nodePool: ""),
            cluster: ""
        )
        #expect(
            keyPaths(validationProblems(spec))
                == ["job.nodePool", "job.buffers.In", "job.buffers.out", "worker.nodePool", "cluster"]
        )
        spec.job = JobTarget(codespec: .named("a", version: nil), nodePool: "p", buffers: ["in": "id"])
        spec.worker?.nodePool = "q"
        spec.cluster = "c"
        #expect(validationProblems(spec).isEmpty)
    }

    @Test("Inline codespecs are validated with the kind of their position")
    func inlineKindFromPositionInCode() {
        // Built in code: a worker-kind codespec standing in the job target is validated as a job.
        let jobWithEndpoints = RunSpec(
            job: JobTarget(codespec: .inline(Codespec(kind: .worker, endpoints: [Endpoint(name: "rpc", port: 1)])))
        )
        #expect(keyPaths(validationProblems(jobWithEndpoints)) == ["job.codespec.endpoints"])

        // A codespec built with the default kind is a worker when it stands in the worker target.
        let workerWithEndpoints = RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: "j"))),
            worker: WorkerSpec(codespec: .inline(Codespec(endpoints: [Endpoint(name: "rpc", port: 1)])))
        )
        #expect(validationProblems(workerWithEndpoints).isEmpty)

        let workerWithBuffers = RunSpec(
            job: JobTarget(codespec: .named("j", version: nil)),
            worker: WorkerSpec(codespec: .inline(Codespec(buffers: BufferParameters(inputs: ["a"]))))
        )
        #expect(keyPaths(validationProblems(workerWithBuffers)) == ["worker.codespec.buffers"])
    }

    @Test("Inline codespec problems carry the target's prefix and position")
    func inlinePrefixes() throws {
        let error = try runRejection(
            """
            job: {codespec: a}
            worker:
              codespec:
                endpoints:
                  rpc: 80
                  "bad name": 81
            """
        )
        expectProblem(
            error, keyPath: "worker.codespec.endpoints.bad name", line: 6, column: 7,
            words: ["'bad name' is not a valid endpoint name"]
        )
    }
}
