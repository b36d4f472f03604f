import Foundation
import Testing
import TygerKit
import TygerTestSupport

/// Names that become environment variables of local processes (codespec `env` keys, and
/// endpoint names in `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES` and `TYGER_<NAME>_ENDPOINT_PORT`)
/// are refused, naming the field and what is allowed, before any process starts.
///
/// Each run's job would create a marker file: the marker missing and no run recorded prove
/// that nothing was launched.
@Suite struct EnvironmentNameSafetyTests {
    /// A bad name, where it goes, and the key path and rule the error must name.
    struct BadName: Sendable, CustomTestStringConvertible {
        enum Place: Sendable { case env, endpoint }
        var place: Place
        var name: String

        var testDescription: String { "\(place) '\(name)'" }

        var keyPath: String {
            switch place {
            case .env: "job.codespec.env.\(name)"
            case .endpoint: "worker.codespec.endpoints.\(name)"
            }
        }

        var rule: String {
            switch place {
            case .env: "is not a valid environment variable name; allowed: ^[-._a-zA-Z][-._a-zA-Z0-9]*$"
            case .endpoint: "is not a valid endpoint name; allowed: ^[-._A-Za-z0-9]+$"
            }
        }
    }

    static let badNames: [BadName] =
        ["A=B", "1X", "A B", "", "É", "PATH\u{0}", "X\nY", "$(HOME)", "A/B"].map { BadName(place: .env, name: $0) }
        + ["rpc$", "rpc:1", "rpc/port", "r pc", "", "rpc=1", "ÿ", "RPC/../x"].map {
            BadName(place: .endpoint, name: $0)
        }

    /// A run whose job touches `marker`, with the bad name put in place.
    private func spec(_ bad: BadName, marker: String) -> RunSpec {
        var job = Codespec(command: ["touch", marker])
        var worker = Codespec(
            kind: .worker, command: ["touch", marker], endpoints: [Endpoint(name: "rpc", port: 9002)])
        switch bad.place {
        case .env: job.env = [bad.name: "1"]
        case .endpoint: worker.endpoints = [Endpoint(name: bad.name, port: 9002)]
        }
        return RunSpec(job: JobTarget(codespec: .inline(job)), worker: WorkerSpec(codespec: .inline(worker)))
    }

    /// Every problem of an error, with its location, one per line.
    private func problems(_ error: TygerError?) -> [String] {
        guard let error else { return [] }
        return ([error] + error.related).map(\.description)
    }

    /// Runs `attempt` with a local backend kept in `home` and expects it to be refused with a
    /// problem for which `expected` holds, with no run recorded and no process run (`marker`
    /// is the file the run's processes would touch).
    private func expectRefusal(
        home: TemporaryDirectory,
        marker: String,
        _ attempt: (LocalBackend) async throws -> Void,
        reporting expected: (String) -> Bool
    ) async throws {
        try await withLocalBackend(home: home) { backend in
            let error = await #expect(throws: TygerError.self) { try await attempt(backend) }
            #expect(error?.code == .invalidSpec)
            let reported = problems(error)
            #expect(reported.contains { expected($0) }, "\(reported)")
            let runs = try await backend.runs(limit: nil)
            #expect(runs.isEmpty, "no run was recorded")
        }
        #expect(!FileManager.default.fileExists(atPath: marker), "no process ran")
    }

    private func reports(_ bad: BadName) -> (String) -> Bool {
        { $0.contains(bad.keyPath) && $0.contains(bad.rule) }
    }

    @Test(arguments: badNames)
    func inlineCodespecsAreRefusedBeforeAnythingStarts(_ bad: BadName) async throws {
        let home = try TemporaryDirectory()
        let marker = home.url.appendingPathComponent("started").path
        try await expectRefusal(home: home, marker: marker, { backend in
            let client = TygerClient(store: FileCodespecStore(directory: home.url), backend: backend)
            _ = try await client.createRun(spec(bad, marker: marker))
        }, reporting: reports(bad))
    }

    /// A resolved spec built by hand skips the client and the store, so no backend could be
    /// trusted to check it: it cannot be built at all, and the error says where the bad name is.
    @Test(arguments: badNames)
    func aHandBuiltResolvedSpecWithABadNameCannotBeBuilt(_ bad: BadName) throws {
        let written = spec(bad, marker: "/nonexistent/marker")
        guard case .inline(var job) = written.job.codespec, case .inline(var worker)? = written.worker?.codespec else {
            Issue.record("the test spec has inline codespecs")
            return
        }
        job.kind = .job
        worker.kind = .worker
        // The spec names stored codespecs, so only the resolved copies carry the bad name.
        var named = written
        named.job.codespec = .named("job", version: 1)
        named.worker?.codespec = .named("worker", version: 1)
        let error = #expect(throws: TygerError.self) {
            _ = try ResolvedRunSpec(spec: named, jobCodespec: job, workerCodespec: worker)
        }
        #expect(error?.code == .invalidSpec)
        #expect(problems(error).contains(where: reports(bad)), "\(problems(error))")
    }

    @Test func aResolvedSpecWithACodespecOfTheWrongKindCannotBeBuilt() throws {
        let job = Codespec(kind: .worker, command: ["true"])
        let error = #expect(throws: TygerError.self) {
            _ = try ResolvedRunSpec(spec: RunSpec(job: JobTarget(codespec: .named("x", version: 1))), jobCodespec: job)
        }
        #expect(error?.code == .kindMismatch)
    }

    /// The same names in a codespec that was stored valid and edited on disk afterwards: the
    /// store is a folder anyone with access can change, so a resolved codespec is checked again.
    @Test(arguments: badNames.filter { !$0.name.contains("\u{0}") })
    func storedCodespecsEditedOnDiskAreRefusedBeforeAnythingStarts(_ bad: BadName) async throws {
        let home = try TemporaryDirectory()
        let marker = home.url.appendingPathComponent("started").path
        let store = FileCodespecStore(directory: home.url)
        let valid = spec(BadName(place: bad.place, name: "GOOD"), marker: marker)
        guard case .inline(var job) = valid.job.codespec, case .inline(var worker)? = valid.worker?.codespec else {
            Issue.record("the spec has inline codespecs")
            return
        }
        job.name = "edited-job"
        worker.name = "edited-worker"
        _ = try await store.create(job)
        _ = try await store.create(worker)

        // Rename the valid name in the stored JSON, as a hand edit would.
        let edited = bad.place == .env ? "edited-job" : "edited-worker"
        let file = home.url.appendingPathComponent("codespecs/\(edited)/1.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        let escaped = String(
            decoding: try JSONEncoder().encode(bad.name), as: UTF8.self)  // a JSON string literal, quotes included
        let rewritten = original.replacingOccurrences(of: "\"GOOD\"", with: escaped)
        #expect(rewritten != original)
        try Data(rewritten.utf8).write(to: file)

        let run = RunSpec(
            job: JobTarget(codespec: .named("edited-job", version: nil)),
            worker: WorkerSpec(codespec: .named("edited-worker", version: nil)))
        try await expectRefusal(home: home, marker: marker, { backend in
            _ = try await TygerClient(store: store, backend: backend).createRun(run)
        }, reporting: reports(bad))
    }

    /// Two endpoint names that differ only in case would give one variable name.
    @Test func endpointNamesThatClashAfterUpperCasingAreRefused() async throws {
        let home = try TemporaryDirectory()
        let marker = home.url.appendingPathComponent("started").path
        let worker = Codespec(
            kind: .worker, command: ["touch", marker],
            endpoints: [Endpoint(name: "rpc", port: 1), Endpoint(name: "RPC", port: 2)])
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(Codespec(command: ["touch", marker]))),
            worker: WorkerSpec(codespec: .inline(worker)))
        try await expectRefusal(home: home, marker: marker, { backend in
            _ = try await TygerClient(store: FileCodespecStore(directory: home.url), backend: backend).createRun(spec)
        }, reporting: { $0.contains("both become TYGER_RPC_WORKER_ENDPOINT_ADDRESSES") })
    }

    /// From the command line: `--env` and `--endpoint` flags, and spec files, with the local backend.
    @Test func theCommandLineRefusesBadNamesBeforeAnythingStarts() async throws {
        let home = try TemporaryDirectory()
        let tyger = try BuiltProduct.url("tyger")
        let marker = home.url.appendingPathComponent("started").path
        func run(_ arguments: [String]) async throws -> ProcessResult {
            let child = ChildProcess(
                tyger, arguments, environment: ["TYGER_HOME": home.url.path, "TYGER_BACKEND": "local"])
            try child.start()
            return await child.finish()
        }

        let envFlag = try await run([
            "codespec", "create", "bad-env", "--env", "A B=1", "--command", "--", "touch", marker,
        ])
        #expect(envFlag.status != 0)
        #expect(envFlag.stderr.contains("env.A B"), "\(envFlag.stderr)")
        #expect(envFlag.stderr.contains("allowed: ^[-._a-zA-Z][-._a-zA-Z0-9]*$"), "\(envFlag.stderr)")

        let endpointFlag = try await run([
            "codespec", "create", "bad-endpoint", "--kind", "worker", "--endpoint", "rpc:port=80", "--command", "--",
            "touch", marker,
        ])
        #expect(endpointFlag.status != 0)
        #expect(endpointFlag.stderr.contains("endpoints.rpc:port"), "\(endpointFlag.stderr)")
        #expect(endpointFlag.stderr.contains("allowed: ^[-._A-Za-z0-9]+$"), "\(endpointFlag.stderr)")

        let runFile = home.url.appendingPathComponent("run.yaml").path
        try Data(
            """
            job:
              codespec:
                command: [touch, \(marker)]
                env: {"1X": "1"}
            worker:
              codespec:
                command: [touch, \(marker)]
                endpoints: {"rpc:port": 9002}
            """.utf8
        ).write(to: URL(fileURLWithPath: runFile))
        let exec = try await run(["run", "exec", "-f", runFile])
        #expect(exec.status != 0)
        #expect(exec.stderr.contains("job.codespec.env.1X"), "\(exec.stderr)")
        #expect(exec.stderr.contains("worker.codespec.endpoints.rpc:port"), "\(exec.stderr)")

        let list = try await run(["run", "list", "-o", "json"])
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any]
        #expect(runs?.isEmpty == true, "no run was recorded: \(list.stdout)\(list.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
