import Foundation
import Testing
import TygerKit
import TygerTestSupport

/// What Tyger's scripts, clients and spec files expect of TygerKit's models and the local
/// backend: Tyger's JSON shapes, its log labels, tags under optimistic concurrency, and the
/// queries its `run list` pushes to the server.
@Suite struct TygerCompatibilityTests {
    private let conformance: String

    init() throws {
        conformance = try BuiltProduct.url("tyger-conformance").path
    }

    private func inline(_ arguments: [String], kind: CodespecKind = .job, endpoints: [Endpoint] = []) -> CodespecReference {
        .inline(Codespec(kind: kind, command: [conformance], args: arguments, endpoints: endpoints))
    }

    // MARK: - JSON

    /// Field by field, in Tyger's order, what a Go or Python client of Tyger reads from a run.
    @Test func aRunIsWrittenInTygersShape() async throws {
        var spec = RunSpec(
            job: JobTarget(codespec: inline(["job-discovery", "rpc", "--expect-replicas", "2"])),
            worker: WorkerSpec(
                codespec: inline(["worker"], kind: .worker, endpoints: [Endpoint(name: "rpc", port: 9000)]),
                replicas: 2),
            timeoutSeconds: 120, tags: ["team": "mri", "b": "2"])
        spec.bufferAccessTtl = "0.01:00:00"
        let run = try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            return try await client.waitUntilTerminal(try await client.createRun(spec).id)
        }
        let text = try TygerJSON.string(run)
        let json = try #require(JSONOutput.object(text), "\(text)")
        #expect(
            Self.topLevelKeys(text) == [
                "id", "status", "createdAt", "startedAt", "finishedAt", "job", "worker", "timeoutSeconds", "tags",
                "eTag", "bufferAccessTtl", "tygerkit",
            ])
        #expect(json["id"] as? Int == Int(run.id.description))
        #expect(json["status"] as? String == "Succeeded")
        #expect(json["statusReason"] == nil && json["runningCount"] == nil, "absent values are left out, as Go's omitempty does")
        for key in ["createdAt", "startedAt", "finishedAt"] {
            let value = try #require(json[key] as? String)
            #expect(try Date(value, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) != nil)
        }
        let job = try #require(json["job"] as? [String: Any])
        #expect(Set(job.keys) == ["codespec", "replicas"])
        #expect(job["replicas"] as? Int == 1)
        let jobCodespec = try #require(job["codespec"] as? [String: Any])
        #expect(jobCodespec["kind"] as? String == "job")
        #expect(jobCodespec["command"] as? [String] == [conformance])
        let worker = try #require(json["worker"] as? [String: Any])
        #expect(worker["replicas"] as? Int == 2)
        #expect((worker["codespec"] as? [String: Any])?["endpoints"] as? [String: Int] == ["rpc": 9000])
        #expect(json["timeoutSeconds"] as? Int == 120)
        #expect(json["tags"] as? [String: String] == ["team": "mri", "b": "2"])
        let eTag = try #require(json["eTag"] as? String)
        #expect(!eTag.isEmpty && eTag.allSatisfy(\.isNumber), "a decimal string, as Tyger's")
        #expect(json["bufferAccessTtl"] as? String == "0.01:00:00")
        let additions = try #require(json["tygerkit"] as? [String: Any])
        #expect(additions["backend"] as? String == "local")
        #expect((additions["workers"] as? [String: Int]) == ["ready": 2, "total": 2])

        // Decoding what was written gives the same run back.
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601WithMilliseconds
        let reread = try TygerJSON.string(decoder.decode(Run.self, from: Data(text.utf8)))
        #expect(reread == text, "\(reread)")
    }

    @Test func aCodespecIsWrittenInTygersFieldOrder() throws {
        let codespec = Codespec(
            kind: .job, name: "full", image: "img", command: ["a"], args: ["b"], workingDir: "/w", env: ["Z": "1", "A": "2"],
            identity: "id", resources: CodespecResources(gpu: try Quantity(parsing: "1")), maxReplicas: 3,
            buffers: BufferParameters(inputs: ["in"], outputs: ["out"]),
            sockets: [Socket(port: 9002, inputBuffer: "in")], version: 4, createdAt: Date(timeIntervalSince1970: 0))
        let text = try TygerJSON.string(codespec)
        #expect(
            Self.topLevelKeys(text) == [
                "kind", "name", "version", "createdAt", "buffers", "sockets", "image", "command", "args", "workingDir",
                "env", "identity", "resources", "maxReplicas",
            ])
        #expect(text.contains("\"env\": {\n    \"A\": \"2\",\n    \"Z\": \"1\"\n  }"), "map keys sorted, Go's layout:\n\(text)")
        let json = try #require(JSONOutput.object(text))
        #expect((json["sockets"] as? [[String: Any]])?.first?["port"] as? Int == 9002)
        #expect((json["buffers"] as? [String: [String]]) == ["inputs": ["in"], "outputs": ["out"]])
        #expect(json["createdAt"] as? String == "1970-01-01T00:00:00.000Z")
    }

    @Test func compactJSONIsOneLine() throws {
        let text = try TygerJSON.string(["b": 1, "a": 2], indented: false)
        #expect(text == #"{"a":2,"b":1}"#)
        #expect(try TygerJSON.string("line\nbreak \"quoted\" \u{1}") == #""line\nbreak \"quoted\" \u0001""#)
        #expect(try TygerJSON.string([String]()) == "[]")
        #expect(throws: EncodingError.self) { try TygerJSON.string(Double.nan) }
    }

    /// The keys of the outermost object, in the order written.
    private static func topLevelKeys(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  \""), !line.hasPrefix("   ") else { return nil }
            return line.dropFirst(3).split(separator: "\"").first.map(String.init)
        }
    }

    // MARK: - Log labels

    @Test(
        "Log lines are labelled as Tyger labels them",
        arguments: [
            (1, 0, RunLogSource.job(nil), nil),
            (2, 0, .job(1), "[job-1]"),
            (1, 1, .job(nil), "[job]"),
            (1, 1, .worker(0), "[worker]"),
            (1, 3, .worker(2), "[worker-2]"),
            (3, 2, .job(0), "[job-0]"),
        ] as [(Int, Int, RunLogSource, String?)])
    func logLabels(jobReplicas: Int, workerReplicas: Int, source: RunLogSource, label: String?) {
        let prefixes = RunLogPrefixes(jobReplicas: jobReplicas, workerReplicas: workerReplicas)
        #expect(prefixes.label(for: source) == label)
        let line = RunLogLine(source: source, text: "hello", timestamp: Date(timeIntervalSince1970: 1))
        #expect(prefixes.format(line) == (label.map { "\($0) hello" } ?? "hello"))
        #expect(prefixes.format(line, timestamps: true) == "1970-01-01T00:00:01.000Z " + (label.map { "\($0) hello" } ?? "hello"))
    }

    // MARK: - Tags

    @Test func tagsChangeOnlyWhileTheETagHolds() async throws {
        let home = try TemporaryDirectory()
        let spec = RunSpec(job: JobTarget(codespec: inline(["exit", "0"])), tags: ["a": "1"])
        let (first, changed) = try await withLocalBackend(home: home) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.waitUntilTerminal(try await client.createRun(spec).id)
            let changed = try await client.setTags(of: run.id, to: ["a": "2", "new": "x"], ifMatch: run.eTag)
            #expect(changed.tags == ["a": "2", "new": "x"])
            #expect(changed.eTag != run.eTag, "the eTag follows the tags")
            // The eTag read before the change is stale now.
            let stale = await #expect(throws: TygerError.self) {
                try await client.setTags(of: run.id, to: ["a": "3"], ifMatch: run.eTag)
            }
            #expect(stale?.code == .conflict)
            #expect(stale?.message.contains("the server's ETag does not match the provided ETag") == true)
            #expect(try await client.run(id: run.id).tags == ["a": "2", "new": "x"])
            // Tags break the same rules as in a spec file.
            await #expect(throws: TygerError.self) { try await client.setTags(of: run.id, to: ["bad key": "x"]) }
            return (run, changed)
        }
        // Another backend on the same state (another process) sees the change, with the same eTag.
        try await withLocalBackend(home: home) { backend in
            let reread = try await backend.run(id: first.id)
            #expect(reread.tags == ["a": "2", "new": "x"])
            #expect(reread.eTag == changed.eTag)
            let cleared = try await backend.setTags(of: first.id, to: [:], ifMatch: reread.eTag)
            #expect(cleared.tags.isEmpty)
        }
    }

    // MARK: - Queries

    @Test func runListingsArePushedDownAsOneQuery() async throws {
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var ids: [RunID] = []
            for (code, tag) in [("0", "a"), ("3", "a"), ("0", "b"), ("0", "a")] {
                let spec = RunSpec(job: JobTarget(codespec: inline(["exit", code])), tags: ["group": tag])
                ids.append(try await client.waitUntilTerminal(try await client.createRun(spec).id).id)
            }
            let all = try await client.runs()
            #expect(all.map(\.id) == ids.reversed())
            #expect(try await client.runs(RunQuery(statuses: [.failed])).map(\.id) == [ids[1]])
            #expect(try await client.runs(RunQuery(tags: ["group": "a"])).map(\.id) == [ids[3], ids[1], ids[0]])
            #expect(
                try await client.runs(RunQuery(statuses: [.succeeded], tags: ["group": "a"], limit: 1)).map(\.id) == [ids[3]])
            let third = try await client.run(id: ids[2])
            #expect(try await client.runs(RunQuery(since: third.createdAt)).map(\.id) == [ids[3]], "since is strict")
            #expect(try await client.runs(RunQuery(since: Date().addingTimeInterval(3600))).isEmpty)
            #expect(try await client.counts(RunQuery(tags: ["group": "a"])) == [.succeeded: 2, .failed: 1])
            #expect(throws: TygerError.self) { try RunQuery(limit: 0) }
        }
    }

    @Test func logOptionsSelectByTimeAndPerReplicaTail() async throws {
        let spec = RunSpec(job: JobTarget(codespec: inline(["print", "6"]), replicas: 2))
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.waitUntilTerminal(try await client.createRun(spec).id)
            var all: [RunLogLine] = []
            for try await line in client.logs(of: run.id) { all.append(line) }
            #expect(all.count == 2 * 9, "6 lines and 3 on stderr per replica: \(all)")
            var tailed: [RunLogLine] = []
            for try await line in client.logs(of: run.id, RunLogOptions(tail: 2)) { tailed.append(line) }
            #expect(tailed.count == 4)
            for replica in [0, 1] {
                #expect(tailed.filter { $0.source == .job(replica) } == Array(all.filter { $0.source == .job(replica) }.suffix(2)))
            }
            var none: [RunLogLine] = []
            for try await line in client.logs(of: run.id, RunLogOptions(tail: 0)) { none.append(line) }
            #expect(none.isEmpty)
            let cut = all[all.count / 2].timestamp
            var recent: [RunLogLine] = []
            for try await line in client.logs(of: run.id, RunLogOptions(since: cut)) { recent.append(line) }
            #expect(recent == all.filter { $0.timestamp > cut })
        }
    }

    // MARK: - Workers written for Tyger

    /// Programs that tell replicas apart by host name (Tyger's own distributed-run check does)
    /// see a distinct `HOSTNAME` per replica, as pods have.
    @Test func everyReplicaHasItsOwnHostname() async throws {
        let job = Codespec(command: ["sh", "-c", "echo \"job $HOSTNAME\""])
        let worker = Codespec(
            kind: .worker, command: ["sh", "-c", "echo \"worker $HOSTNAME\"; exec \"$0\" worker", conformance],
            endpoints: [Endpoint(name: "rpc", port: 9000)])
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(job), replicas: 2), worker: WorkerSpec(codespec: .inline(worker), replicas: 3))
        let (run, lines) = try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.waitUntilTerminal(try await client.createRun(spec).id)
            var lines: [String] = []
            for try await line in client.logs(of: run.id) { lines.append(line.text) }
            return (run, lines)
        }
        #expect(run.status == .succeeded)
        for replica in 0..<2 { #expect(lines.contains("job run-\(run.id)-job-\(replica)"), "\(lines)") }
        for index in 0..<3 { #expect(lines.contains("worker run-\(run.id)-worker-\(index)"), "\(lines)") }
    }

    // MARK: - Spec files written for Tyger

    @Test func aliasesMergeKeysAndDashedEndpointsAreAccepted() throws {
        let merged = try Fixture.codespec("codespec-merge-inline.yaml")
        #expect(merged.name == "a" && merged.image == "ghcr.io/x/y:1")
        let flow = try Fixture.run("run-alias-in-flow.yaml")
        #expect(flow.job.codespec == .named("hello", version: nil) && flow.job.nodePool == "hello")
        let target = try Fixture.run("run-alias-target.yaml")
        #expect(target.worker?.codespec == .named("hello", version: nil))
        let dashed = try Fixture.codespec("codespec-endpoint-name-dash.yaml")
        #expect(dashed.endpoints == [Endpoint(name: "rpc-a", port: 9000)])
        #expect(dashed.endpoints[0].addressesVariable == "TYGER_RPC-A_WORKER_ENDPOINT_ADDRESSES")
    }

    /// A merge with an override, the sample of Tyger's run guide, sockets, TTLs.
    @Test func tygersRunAndCodespecFilesRoundTrip() throws {
        let run = try SpecFile.decodeRun(
            from: """
                job:
                  <<: {nodePool: cpunp, replicas: 1}
                  codespec: mycodespec/versions/22
                  buffers: { input: lopoahtz7chepdpmgvunuvtqke }
                  tags: { mykey: myvalue }
                  bufferTtl: 0.00:05
                  replicas: 2
                cluster: mycluster
                timeoutSeconds: 43200
                bufferAccessTtl: "00:01:00"
                """)
        #expect(run.job.codespec == .named("mycodespec", version: 22))
        #expect(run.job.nodePool == "cpunp" && run.job.replicas == 2, "the mapping's own value wins over the merge")
        #expect(run.job.buffers == ["input": "lopoahtz7chepdpmgvunuvtqke"] && run.job.tags == ["mykey": "myvalue"])
        #expect(run.job.bufferTtl == "0.00:05" && run.bufferAccessTtl == "00:01:00")
        #expect(try SpecFile.decodeRun(from: SpecFile.encode(run)) == run)

        let codespec = try SpecFile.decodeCodespec(
            from: """
                kind: job
                image: ghcr.io/x/y:1
                buffers: {inputs: [input], outputs: [output]}
                sockets:
                  - port: 9002
                    inputBuffer: input
                    outputBuffer: output
                args: ["--port", "9002"]
                """)
        #expect(codespec.sockets == [Socket(port: 9002, inputBuffer: "input", outputBuffer: "output")])
        #expect(try SpecFile.decodeCodespec(from: SpecFile.encode(codespec)) == codespec)
        let badTtl = try #require(throws: TygerError.self) {
            try SpecFile.decodeRun(from: "job: {codespec: a, bufferTtl: soon}\n")
        }
        #expect(badTtl.location?.keyPath == "job.bufferTtl", "\(badTtl)")
    }

    /// What the local backend cannot honour is refused before anything starts, naming the
    /// field, instead of failing at run time on a missing pipe variable.
    @Test func buffersAndSocketsAreRefusedBeforeAnythingStarts() async throws {
        let codespec = Codespec(
            command: ["sh", "-c", "cat \"$INPUT_PIPE\""], buffers: BufferParameters(inputs: ["input"]),
            sockets: [Socket(port: 9002, inputBuffer: "input")])
        var spec = RunSpec(job: JobTarget(codespec: .inline(codespec)))
        spec.job.buffers = ["input": "abc"]
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let error = await #expect(throws: TygerError.self) { try await client.createRun(spec) }
            let paths = Set(([error] + (error?.related ?? [])).compactMap { $0?.location?.keyPath })
            #expect(paths == ["job.codespec.buffers", "job.codespec.sockets", "job.buffers"], "\(String(describing: error))")
            #expect(error?.message.contains("the local backend moves no buffer data") == true)
            let runs = try await client.runs()
            #expect(runs.isEmpty, "nothing was started")
        }
    }
}
