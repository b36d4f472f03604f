import Foundation
import Synchronization
import Testing
@testable import TygerKit

@Suite("Codespec references")
struct CodespecReferenceTests {
    @Test(
        "Valid references",
        arguments: [
            ("mycodespec", "mycodespec", nil as Int?), ("mycodespec/versions/22", "mycodespec", 22),
            ("a.b_c-d/versions/0", "a.b_c-d", 0), ("x/versions/007", "x", 7), ("1234", "1234", nil),
            ("...", "...", nil),
        ])
    func valid(text: String, name: String, version: Int?) throws {
        let reference = try CodespecReference(parsing: text)
        #expect(reference == .named(name, version: version))
        #expect(reference == CodespecReference(name: name, version: version))
    }

    @Test(
        "Malformed references say which forms are expected",
        arguments: [
            "Foo", "x/versions/", "x/version/2", "x/versions/-1", "", "/", "x/", "x/versions", "/versions/1",
            "x/versions/2/", "x/versions/+2", "x/versions/ 2", "x/versions/1e3", "x/versions/99999999999999999999999",
            ".", "..", "./versions/1", "../versions/1", "my codespec", "x\\versions\\2", "x//versions/2",
        ])
    func malformed(text: String) throws {
        let error = try rejection { () throws(TygerError) in try CodespecReference(parsing: text) }
        #expect(error.code == .invalidReference)
        #expect(error.message.contains("'\(text)' is not a codespec reference"))
        #expect(error.message.contains("expected 'name' or 'name/versions/N'"))
        #expect(error.message.contains(#"^[a-z0-9\-._]+$"#))
    }

    @Test("The textual form")
    func text() throws {
        #expect(CodespecReference.named("x", version: 3).text == "x/versions/3")
        #expect(CodespecReference.named("x", version: nil).text == "x")
        #expect(CodespecReference.inline(Codespec()).text == nil)
        for text in ["x", "x/versions/3", "my.codespec_1/versions/10"] {
            #expect(try CodespecReference(parsing: text).text == text)
        }
    }

    /// The published grammar describes exactly what the parser accepts (other than the
    /// reserved names `.` and `..`), so messages quoting it tell the truth.
    @Test(arguments: [
        "x", "x/versions/3", "my.codespec_1/versions/10", "a-b", "X", "x/versions/", "x/versions/-1", "x/Versions/1",
        "/versions/1", "x/versions/1/versions/2", "x y", "", "x/v/1", "é", "x/versions/01",
    ])
    func theGrammarMatchesTheParser(_ text: String) throws {
        let grammar = try Regex(CodespecReference.grammar)
        let matches = (try? grammar.wholeMatch(in: text)) != nil
        let parses = (try? CodespecReference(parsing: text)) != nil
        #expect(matches == parses, "grammar says \(matches), parser says \(parses)")
    }

    @Test("Named references are written as strings, inline ones as mappings")
    func encoding() throws {
        let run = RunSpec(
            job: JobTarget(codespec: .named("x", version: 3)),
            worker: WorkerSpec(codespec: .inline(Codespec(kind: .worker, image: "w")))
        )
        let yaml = try SpecFile.encode(run)
        #expect(yaml.contains("codespec: x/versions/3\n"), "\(yaml)")
        #expect(yaml.contains("kind: worker\n"), "\(yaml)")
        #expect(yaml.contains("image: w\n"), "\(yaml)")
    }

    @Test("Inline references compare by codespec content")
    func inlineEquality() {
        let a = CodespecReference.inline(Codespec(env: ["A": "1", "B": "2"], version: 1))
        let b = CodespecReference.inline(Codespec(env: ["B": "2", "A": "1"], version: 2))
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a != .inline(Codespec(env: ["A": "1"])))
        #expect(CodespecReference.named("x", version: 1) != .named("x", version: nil))
    }
}

@Suite("Codespec versions and resolution")
struct CodespecResolutionTests {
    private let a = Codespec(name: "x", image: "a", command: ["run"], env: ["A": "1", "B": "2"])
    private let b = Codespec(name: "x", image: "b", command: ["run"])

    @Test("A, B, A gives versions 1, 2, 3")
    func abaVersions() async throws {
        let store = InMemoryCodespecStore()
        let first = try await store.create(a)
        let second = try await store.create(b)
        let third = try await store.create(a)
        #expect([first.version, second.version, third.version] == [1, 2, 3])
        #expect(first.createdAt != nil && third.createdAt != nil)

        #expect(try await store.codespec(named: "x", version: 1).image == "a")
        #expect(try await store.codespec(named: "x", version: 2).image == "b")
        #expect(try await store.codespec(named: "x", version: 3).image == "a")
        #expect(try await store.codespec(named: "x").version == 3)
    }

    @Test("Creating a codespec equal to the latest returns the latest and stores nothing")
    func equalToLatest() async throws {
        let store = InMemoryCodespecStore()
        let stored = try await store.create(a, at: Date(timeIntervalSince1970: 1_000))
        #expect(stored.version == 1)

        var same = Codespec(name: "x", image: "a", command: ["run"], env: ["B": "2", "A": "1"])
        same.version = 41
        same.createdAt = Date(timeIntervalSince1970: 0)
        let again = try await store.create(same, at: Date(timeIntervalSince1970: 2_000))
        #expect(again.version == 1)
        #expect(again.createdAt == stored.createdAt, "the stored version is returned unchanged")
        #expect(try await store.codespec(named: "x").version == 1)

        let error = try await asyncRejection { try await store.codespec(named: "x", version: 2) }
        #expect(error.code == .versionNotFound)
        #expect(error.message == "The version '2' of codespec 'x' was not found. The latest version is '1'.")
    }

    @Test("The store sets version and createdAt, ignoring what the caller wrote")
    func storeSetsVersion() async throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let store = InMemoryCodespecStore()
        var codespec = a
        codespec.version = 99
        codespec.createdAt = Date(timeIntervalSince1970: 5)
        let stored = try await store.create(codespec, at: date.addingTimeInterval(0.75))
        #expect(stored.version == 1)
        #expect(stored.createdAt == date, "whole seconds, so the stored time reads back equal")
        #expect(stored == a)
    }

    @Test("Not-found texts are Tyger's")
    func notFoundTexts() async throws {
        let store = InMemoryCodespecStore()
        let missing = try await asyncRejection { try await store.codespec(named: "x") }
        #expect(missing.code == .codespecNotFound)
        #expect(missing.message == "The codespec 'x' was not found")
        #expect(missing.description == "The codespec 'x' was not found")

        for codespec in [a, b, Codespec(name: "x", image: "c")] { _ = try await store.create(codespec) }
        let version = try await asyncRejection { try await store.codespec(named: "x", version: 9) }
        #expect(version.code == .versionNotFound)
        #expect(version.message == "The version '9' of codespec 'x' was not found. The latest version is '3'.")

        let zero = try await asyncRejection { try await store.codespec(named: "x", version: 0) }
        #expect(zero.code == .versionNotFound)

        let run = RunSpec(job: JobTarget(codespec: .named("nope", version: nil)))
        let unresolved = try await asyncRejection { try await store.resolve(run) }
        #expect(unresolved.message == "The codespec 'nope' was not found")
    }

    @Test("Resolving names the latest version at that moment; pinned versions stay")
    func resolveNamed() async throws {
        let store = InMemoryCodespecStore()
        _ = try await store.create(a)
        let worker = try await store.create(
            Codespec(kind: .worker, name: "w", image: "w", endpoints: [Endpoint(name: "rpc", port: 80)])
        )
        let spec = RunSpec(
            job: JobTarget(codespec: .named("x", version: nil)),
            worker: WorkerSpec(codespec: .named("w", version: 1), replicas: 2)
        )
        let before = try await store.resolve(spec)
        #expect(before.runSpec == spec)
        #expect(before.job.reference == "x")
        #expect(before.worker?.reference == "w/versions/1")
        #expect(before.job.codespec.version == 1)
        #expect(before.job.codespec == a)
        #expect(before.worker?.codespec.version == worker.version)
        #expect(before.worker?.codespec.endpoints == [Endpoint(name: "rpc", port: 80)])

        _ = try await store.create(b)
        _ = try await store.create(Codespec(kind: .worker, name: "w", image: "w2"))
        let after = try await store.resolve(spec)
        #expect(after.job.codespec.version == 2)
        #expect(after.job.codespec.image == "b")
        #expect(after.worker?.codespec.version == 1, "a pinned version does not move")
        #expect(before.job.codespec.image == "a", "an earlier resolution keeps its codespec")
    }

    @Test("A job target naming a worker codespec is a kind mismatch, and the reverse")
    func kindMismatch() async throws {
        let store = InMemoryCodespecStore()
        _ = try await store.create(Codespec(kind: .worker, name: "w", image: "w"))
        _ = try await store.create(Codespec(kind: .job, name: "j", image: "j"))

        let jobError = try await asyncRejection {
            try await store.resolve(RunSpec(job: JobTarget(codespec: .named("w", version: 1))))
        }
        #expect(jobError.code == .kindMismatch)
        #expect(jobError.location?.keyPath == "job.codespec")
        #expect(jobError.message.contains("'w/versions/1' is a worker codespec"))
        #expect(jobError.message.contains("the job target needs a job codespec"))

        let workerError = try await asyncRejection {
            try await store.resolve(
                RunSpec(
                    job: JobTarget(codespec: .named("j", version: nil)),
                    worker: WorkerSpec(codespec: .named("j", version: nil))
                )
            )
        }
        #expect(workerError.code == .kindMismatch)
        #expect(workerError.location?.keyPath == "worker.codespec")
        #expect(workerError.message.contains("'j' is a job codespec"))
    }

    @Test("maxReplicas is enforced for named codespecs when a run is resolved")
    func maxReplicasNamed() async throws {
        let store = InMemoryCodespecStore()
        _ = try await store.create(Codespec(name: "j", image: "j", maxReplicas: 2))
        _ = try await store.create(Codespec(kind: .worker, name: "w", image: "w", maxReplicas: 3))

        let ok = RunSpec(
            job: JobTarget(codespec: .named("j", version: nil), replicas: 2),
            worker: WorkerSpec(codespec: .named("w", version: nil), replicas: 3)
        )
        #expect(try await store.resolve(ok).job.codespec.maxReplicas == 2)

        var tooManyJobs = ok
        tooManyJobs.job.replicas = 3
        let jobError = try await asyncRejection { try await store.resolve(tooManyJobs) }
        #expect(jobError.code == .invalidSpec)
        #expect(jobError.location?.keyPath == "job.replicas")
        #expect(jobError.message.contains("replicas is 3, but the codespec allows at most 2"))

        var tooManyWorkers = ok
        tooManyWorkers.worker?.replicas = 4
        let workerError = try await asyncRejection { try await store.resolve(tooManyWorkers) }
        #expect(workerError.location?.keyPath == "worker.replicas")
        #expect(workerError.message.contains("at most 3"))

        var both = tooManyJobs
        both.worker?.replicas = 4
        let bothError = try await asyncRejection { try await store.resolve(both) }
        #expect(problems(of: bothError).map { $0.location?.keyPath } == ["job.replicas", "worker.replicas"])
    }

    @Test("Resolving validates the run first")
    func resolveValidates() async throws {
        let store = InMemoryCodespecStore()
        _ = try await store.create(a)
        let error = try await asyncRejection {
            try await store.resolve(RunSpec(job: JobTarget(codespec: .named("x", version: nil), replicas: 0)))
        }
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "job.replicas")
    }

    @Test("Inline codespecs take their kind from their position")
    func inlineKind() async throws {
        let store = InMemoryCodespecStore()
        let inlineWorker = Codespec(image: "w", endpoints: [Endpoint(name: "gadgetron", port: 9002)])
        #expect(inlineWorker.kind == .job, "the default kind")
        let resolved = try await store.resolve(
            RunSpec(
                job: JobTarget(codespec: .inline(Codespec(kind: .job, image: "j"))),
                worker: WorkerSpec(codespec: .inline(inlineWorker), replicas: 2)
            )
        )
        #expect(resolved.job.codespec.kind == .job)
        #expect(resolved.worker?.codespec.kind == .worker)
        #expect(resolved.worker?.codespec.endpoints == [Endpoint(name: "gadgetron", port: 9002)])

        #expect(try await store.resolve(.inline(Codespec(kind: .worker)), as: .job).kind == .job)

        // From a file: the inline codespecs of the fixture resolve without any store content.
        let fromFile = try await store.resolve(try Fixture.run("run-inline.yaml"))
        #expect(fromFile.job.codespec.kind == .job)
        #expect(fromFile.worker?.codespec.kind == .worker)
        #expect(fromFile.worker?.codespec.image == "ghcr.io/gadgetron/gadgetron:4.2")
    }

    @Test("The inline maxReplicas rule also holds at resolve")
    func inlineMaxReplicas() async throws {
        let store = InMemoryCodespecStore()
        let spec = RunSpec(job: JobTarget(codespec: .inline(Codespec(image: "j", maxReplicas: 1)), replicas: 2))
        let error = try await asyncRejection { try await store.resolve(spec) }
        #expect(error.location?.keyPath == "job.replicas")
    }

    @Test("Kind is part of content: the same name as the other kind is a new version")
    func kindIsContent() async throws {
        let store = InMemoryCodespecStore()
        #expect(try await store.create(Codespec(kind: .job, name: "k", image: "i")).version == 1)
        #expect(try await store.create(Codespec(kind: .worker, name: "k", image: "i")).version == 2)
    }

    @Test("Storing needs a valid, named codespec")
    func createRejects() async throws {
        let store = InMemoryCodespecStore()
        let unnamed = try await asyncRejection { try await store.create(Codespec(image: "x")) }
        #expect(unnamed.code == .invalidSpec)
        #expect(unnamed.location?.keyPath == "name")

        let invalid = try await asyncRejection { try await store.create(Codespec(name: "Bad")) }
        #expect(invalid.code == .invalidSpec)
        #expect(try await store.latestCodespecs().isEmpty)
    }

    @Test("The latest version of each name, sorted by name")
    func latestList() async throws {
        let store = InMemoryCodespecStore()
        _ = try await store.create(Codespec(name: "zeta"))
        _ = try await store.create(Codespec(name: "alpha"))
        _ = try await store.create(Codespec(name: "alpha", image: "2"))
        let latest = try await store.latestCodespecs()
        #expect(latest.map(\.name) == ["alpha", "zeta"])
        #expect(latest.map(\.version) == [2, 1])
        #expect(try await store.latestCodespecs(prefix: "z", limit: nil).map(\.name) == ["zeta"])
        #expect(try await store.latestCodespecs(prefix: nil, limit: 1).map(\.name) == ["alpha"])
    }
}
