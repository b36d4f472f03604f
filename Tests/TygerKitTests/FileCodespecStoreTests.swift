import Foundation
import Testing
import TygerKit
import TygerTestSupport

@Suite struct FileCodespecStoreTests {
    private func worker(_ command: String, port: Int = 8080) -> Codespec {
        Codespec(kind: .worker, name: "w", command: [command], endpoints: [Endpoint(name: "rpc", port: port)])
    }

    @Test func comparesWithTheLatestVersionOnly() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        let a = worker("a")
        let b = worker("b")
        #expect(try await store.create(a).version == 1)
        #expect(try await store.create(b).version == 2)
        #expect(try await store.create(a).version == 3)
        #expect(try await store.create(a).version == 3)
        #expect(try await store.codespec(named: "w").version == 3)
        #expect(try await store.codespec(named: "w", version: 2).command == ["b"])
    }

    @Test func returnsTheLatestUnchangedWhenContentIsEqual() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        let first = try await store.create(worker("a"), at: Date(timeIntervalSince1970: 1_000))
        let reordered = FileCodespecStore(directory: home.url)
        var same = worker("a")
        same.env = [:]
        same.args = []
        let again = try await reordered.create(same, at: Date(timeIntervalSince1970: 2_000))
        #expect(again.version == 1)
        #expect(again.createdAt == first.createdAt)
        let files = try FileManager.default.contentsOfDirectory(atPath: home.url.appendingPathComponent("codespecs/w").path)
        #expect(files == ["1.json"])
    }

    @Test func versionsSurviveANewStoreInstance() async throws {
        let home = try TemporaryDirectory()
        let created = try await FileCodespecStore(directory: home.url).create(worker("a", port: 9002))
        let read = try await FileCodespecStore(directory: home.url).codespec(named: "w", version: 1)
        #expect(read == created)
        #expect(read.version == 1)
        #expect(read.createdAt == created.createdAt)
        #expect(read.endpoints == [Endpoint(name: "rpc", port: 9002)])
    }

    @Test func listsTheLatestOfEachNameSortedByName() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        for name in ["beta", "alpha", "alpine", "gamma"] {
            _ = try await store.create(Codespec(name: name, command: ["one"]))
        }
        _ = try await store.create(Codespec(name: "alpha", command: ["two"]))
        let all = try await store.latestCodespecs()
        #expect(all.map(\.name) == ["alpha", "alpine", "beta", "gamma"])
        #expect(all.first?.version == 2)
        #expect(try await store.latestCodespecs(prefix: "alp", limit: nil).map(\.name) == ["alpha", "alpine"])
        #expect(try await store.latestCodespecs(prefix: nil, limit: 3).map(\.name) == ["alpha", "alpine", "beta"])
        await #expect(throws: TygerError.self) { try await store.latestCodespecs(prefix: nil, limit: 0) }
    }

    @Test func emptyStoreListsNothing() async throws {
        let home = try TemporaryDirectory()
        #expect(try await FileCodespecStore(directory: home.url.appendingPathComponent("absent")).latestCodespecs().isEmpty)
    }

    @Test func notFoundErrorsUseTygersTexts() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        for command in ["a", "b", "c"] { _ = try await store.create(worker(command)) }
        let missing = await #expect(throws: TygerError.self) { try await store.codespec(named: "x") }
        #expect(missing?.code == .codespecNotFound)
        #expect(missing?.message == "The codespec 'x' was not found")
        let version = await #expect(throws: TygerError.self) { try await store.codespec(named: "w", version: 9) }
        #expect(version?.code == .versionNotFound)
        #expect(version?.message == "The version '9' of codespec 'w' was not found. The latest version is '3'.")
        let traversal = await #expect(throws: TygerError.self) { try await store.codespec(named: "..") }
        #expect(traversal?.code == .codespecNotFound)
    }

    @Test func rejectsCodespecsThatCannotBeStored() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        let unnamed = await #expect(throws: TygerError.self) { try await store.create(Codespec(command: ["a"])) }
        #expect(unnamed?.message.contains("needs a name") == true)
        let invalid = await #expect(throws: TygerError.self) {
            try await store.create(Codespec(name: "Bad/Name", command: ["a"]))
        }
        #expect(invalid?.code == .invalidSpec)
        let jobWithEndpoints = Codespec(kind: .job, name: "j", endpoints: [Endpoint(name: "rpc", port: 1)])
        await #expect(throws: TygerError.self) { try await store.create(jobWithEndpoints) }
        #expect(!FileManager.default.fileExists(atPath: home.url.appendingPathComponent("codespecs/Bad").path))
    }

    @Test func ignoresUnpublishedTemporaryFiles() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        _ = try await store.create(worker("a"))
        let folder = home.url.appendingPathComponent("codespecs/w")
        try Data("{\"kind\": \"wor".utf8).write(to: folder.appendingPathComponent(".tmp-1-2"))
        #expect(try await store.codespec(named: "w").version == 1)
        #expect(try await store.create(worker("b")).version == 2)
    }

    @Test func aCorruptVersionFileIsAStorageErrorNamingIt() async throws {
        let home = try TemporaryDirectory()
        let store = FileCodespecStore(directory: home.url)
        _ = try await store.create(worker("a"))
        let file = home.url.appendingPathComponent("codespecs/w/1.json")
        try Data("not json".utf8).write(to: file)
        let error = await #expect(throws: TygerError.self) { try await store.codespec(named: "w") }
        #expect(error?.code == .storage)
        #expect(error?.message.contains(file.path) == true)
    }

    @Test func defaultsToTygerHomeThenTheHomeDirectory() {
        #expect(TygerHome.directory(environment: ["TYGER_HOME": "/srv/tyger"]).path == "/srv/tyger")
        #expect(TygerHome.directory(environment: [:]).lastPathComponent == ".tyger")
    }
}

/// Real processes against one store directory: the guarantees that only matter across processes.
@Suite(.serialized) struct FileCodespecStoreConcurrencyTests {
    @Test func concurrentCreatorsNeverShareANumberOrLoseAVersion() async throws {
        let home = try TemporaryDirectory()
        let stress = try BuiltProduct.url("tyger-store-stress")
        let processes = 6
        let perProcess = 15
        let children = (0..<processes).map {
            ChildProcess(stress, [home.url.path, "shared", "\(perProcess)", "p\($0)"])
        }
        for child in children { try child.start() }
        var reported: [Int] = []
        for child in children {
            let result = await child.finish()
            #expect(result.status == 0, "\(result.stderr)")
            reported += result.stdout.split(separator: "\n").compactMap { Int($0) }
        }
        let total = processes * perProcess
        #expect(reported.sorted() == Array(1...total), "each creation got its own version number")

        let store = FileCodespecStore(directory: home.url)
        var contents = Set<String>()
        for version in 1...total {
            let codespec = try await store.codespec(named: "shared", version: version)
            contents.insert("\(codespec.env["LABEL"] ?? "?")/\(codespec.env["ITERATION"] ?? "?")")
        }
        #expect(contents.count == total, "no version was overwritten or lost")
    }

    @Test func concurrentCreatorsOfEqualContentGetOneVersion() async throws {
        let home = try TemporaryDirectory()
        let tyger = try BuiltProduct.url("tyger")
        let file = home.url.appendingPathComponent("worker.yaml")
        try Data("kind: worker\ncommand: [serve]\nendpoints: {rpc: 8080}\n".utf8).write(to: file)
        let children = (0..<6).map { _ in
            ChildProcess(tyger, ["codespec", "create", "same", "-f", file.path], environment: ["TYGER_HOME": home.url.path])
        }
        for child in children { try child.start() }
        for child in children {
            let result = await child.finish()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "1\n")
        }
        let folder = home.url.appendingPathComponent("codespecs/same").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") } == ["1.json"])
    }

    @Test func creatorsKilledMidWriteNeverLeaveATornOrMissingVersion() async throws {
        let home = try TemporaryDirectory()
        let stress = try BuiltProduct.url("tyger-store-stress")
        for round in 0..<5 {
            let children = (0..<3).map { ChildProcess(stress, [home.url.path, "crash", "100000", "r\(round)-\($0)"]) }
            for child in children { try child.start() }
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...400)))
            for child in children { child.kill() }
            for child in children { _ = await child.finish() }
        }
        let folder = home.url.appendingPathComponent("codespecs/crash")
        let versions = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .compactMap { $0.hasSuffix(".json") ? Int($0.dropLast(5)) : nil }
            .sorted()
        #expect(!versions.isEmpty)
        #expect(versions == Array(1...(versions.last ?? 0)), "version numbers have no gaps")
        let store = FileCodespecStore(directory: home.url)
        for version in versions {
            let codespec = try await store.codespec(named: "crash", version: version)
            #expect(codespec.version == version)
            #expect(codespec.env["PADDING"]?.count == 4096, "version \(version) is complete")
        }
        let next = try await store.create(Codespec(name: "crash", command: ["after"]))
        #expect(next.version == (versions.last ?? 0) + 1)
    }
}
