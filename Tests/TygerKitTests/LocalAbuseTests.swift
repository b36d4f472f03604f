import Foundation
import Testing
@testable import TygerKit
import TygerKitTesting
import TygerTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The local backend under abuse, through the SDK: runs whose processes leave descendants
/// behind, escape their group, hold ports, or whose folder disappears. Every run must reach a
/// terminal status, and nothing it started may outlive it.
@Suite struct LocalAbuseTests {
    private let conformance: String

    init() throws {
        conformance = try BuiltProduct.url("tyger-conformance").path
    }

    /// A job or worker codespec running `script` in `sh`, carrying `marker` so its processes
    /// and all their descendants can be found in the process table.
    private func shell(_ script: String, kind: CodespecKind = .job, marker: String, endpoints: [Endpoint] = [])
        -> Codespec
    {
        Codespec(
            kind: kind, command: ["/bin/sh", "-c", script], env: ["ABUSE_MARKER": marker], endpoints: endpoints)
    }

    private func left(_ marker: String) -> [String] {
        ProcessScan.processes(withEnvironment: "ABUSE_MARKER", value: marker)
    }

    private func execute(_ spec: RunSpec, grace: Duration = .seconds(2)) async throws -> Run {
        try await withLocalBackend({ $0.gracePeriod = grace }) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(spec)
            return try await client.waitUntilTerminal(run.id)
        }
    }

    // MARK: - A run that can never end

    /// `sleep 1000 &` keeps the job's output pipe open after the shell exits: the run still
    /// ends when the shell does, and the background `sleep` goes with it.
    @Test(.timeLimit(.minutes(1))) func aJobThatLeavesABackgroundProcessEnds() async throws {
        let marker = UUID().uuidString
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(shell("sleep 1000 & echo started", marker: marker))), timeoutSeconds: 5)
        let final = try await execute(spec)
        #expect(final.status == .succeeded, "\(final.statusReason ?? "")")
        #expect(left(marker).isEmpty, "\(left(marker))")
    }

    /// A background process with its output sent elsewhere, and one that started a session of
    /// its own (`setsid`), are gone once the run succeeded.
    @Test(.timeLimit(.minutes(1))) func descendantsInAnyGroupOrSessionEndWithTheRun() async throws {
        let marker = UUID().uuidString
        let script = "sleep 3004 >/dev/null 2>&1 & setsid sleep 3005 >/dev/null 2>&1 & echo started"
        let final = try await execute(RunSpec(job: JobTarget(codespec: .inline(shell(script, marker: marker)))))
        #expect(final.status == .succeeded, "\(final.statusReason ?? "")")
        #expect(left(marker).isEmpty, "\(left(marker))")
    }

    /// A worker that leaves a helper behind each time it exits is restarted; when the job's
    /// timeout cancels the run, every helper is gone too.
    @Test(.timeLimit(.minutes(1))) func restartedWorkersLeaveNoHelpers() async throws {
        let marker = UUID().uuidString
        var spec = RunSpec(job: JobTarget(codespec: .inline(shell("exit 0", marker: marker))), timeoutSeconds: 2)
        spec.worker = WorkerSpec(
            codespec: .inline(
                shell("setsid sleep 1001 & exit 1", kind: .worker, marker: marker, endpoints: [Endpoint(name: "rpc", port: 1)])))
        let final = try await execute(spec)
        #expect(final.status == .canceled)
        #expect(final.statusReason == "Run exceeded its timeout while pending")
        #expect(left(marker).isEmpty, "\(left(marker))")
    }

    /// Cancel ends a run whose job ignores SIGTERM and whose descendants escaped its session.
    @Test(.timeLimit(.minutes(1))) func cancelEndsARunWithEscapedDescendants() async throws {
        let marker = UUID().uuidString
        let script = "trap '' TERM; setsid sleep 1002 & sleep 1003 & echo started; wait"
        try await withLocalBackend({ $0.gracePeriod = .milliseconds(500) }) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(RunSpec(job: JobTarget(codespec: .inline(shell(script, marker: marker)))))
            #expect(try await eventually { left(marker).count >= 3 }, "the job and both sleeps run")
            _ = try await client.cancel(id: run.id)
            let final = try await client.waitUntilTerminal(run.id)
            #expect(final.status == .canceled)
        }
        #expect(left(marker).isEmpty, "\(left(marker))")
    }

    // MARK: - Runs never cross

    /// Two backends, as two processes sharing the machine would be, never hand out one port.
    @Test func portReservationsHoldAcrossBackends() throws {
        let lock = try TemporaryDirectory()
        let file = lock.url.appendingPathComponent("ports.lock")
        let first = try PortReservations(lockFile: file, fallback: file)
        let second = try PortReservations(lockFile: file, fallback: file)
        let a = try first.reserve(2_000)
        let b = try second.reserve(2_000)
        #expect(Set(a).count == 2_000 && Set(b).count == 2_000)
        #expect(Set(a).isDisjoint(with: b))
        first.release(a)
        // Released ports can be taken by the other backend.
        // Slack for ports this machine holds in TIME_WAIT from other tests.
        let c = try second.reserve(PortReservations.capacity - 2_000 - 1_500)
        #expect(Set(c).isDisjoint(with: b))
    }

    /// A listener counts only for the replica whose process tree holds it.
    @Test func onlyTheReplicasOwnListenerCounts() throws {
        let listener = try TestListener()
        let launched = LocalProcess.launchAll([
            ProcessLaunch(executable: "/bin/sleep", arguments: ["30"], isolation: ProcessIsolation.available)
        ])
        let probe = try #require(try launched.first?.get())
        defer { probe.signalGroup(SIGKILL) }
        #expect(ListenerOwnership.owner(ofPort: listener.port, replicaProcess: probe.pid) == .someoneElse)
        #expect(ListenerOwnership.owner(ofPort: listener.port, replicaProcess: getpid()) == .replica)
        #expect(ListenerOwnership.owner(ofPort: 1, replicaProcess: probe.pid) == .nobody)
    }

    /// A worker that listens where it was not told to is not ready, and the run says where
    /// it listens and what to do.
    @Test(.timeLimit(.minutes(1))) func aWorkerOnTheWrongPortIsNamed() async throws {
        let marker = UUID().uuidString
        let script = """
            exec python3 -c 'import socket,time
            s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(); time.sleep(60)'
            """
        var spec = RunSpec(job: JobTarget(codespec: .inline(shell("exit 0", marker: marker))), timeoutSeconds: 30)
        spec.worker = WorkerSpec(
            codespec: .inline(shell(script, kind: .worker, marker: marker, endpoints: [Endpoint(name: "rpc", port: 8080)])))
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(spec)
            var reason: String?
            for try await update in client.updates(of: run.id) {
                if let text = update.statusReason, text.contains("listens on") {
                    reason = text
                    break
                }
            }
            #expect(reason?.contains("worker-0's endpoint 'rpc' was given port") == true, "\(reason ?? "")")
            #expect(reason?.contains("read the port from TYGER_RPC_ENDPOINT_PORT") == true)
            #expect(try await client.run(id: run.id).status == .pending, "never ready")
            _ = try await client.cancel(id: run.id)
        }
        #expect(left(marker).isEmpty)
    }

    // MARK: - IDs and folders

    /// Deleting a live run's folder ends that run; its ID is not handed out again, and its
    /// host never writes into the next run's folder.
    @Test(.timeLimit(.minutes(1))) func aDeletedFolderEndsItsRunAndItsIDIsNotReused() async throws {
        let marker = UUID().uuidString
        try await withLocalBackend({ $0.gracePeriod = .milliseconds(300) }) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let first = try await client.createRun(
                RunSpec(job: JobTarget(codespec: .inline(shell("exec sleep 1000", marker: marker)))))
            // As `rm -rf` would, again until it is gone: the host may add a file while the folder is emptied.
            let folder = backend.store.folderURL(first.id)
            let removed = try await eventually {
                try? FileManager.default.removeItem(at: folder)
                return !FileManager.default.fileExists(atPath: folder.path)
            }
            try #require(removed, "\(folder.path) could not be removed")
            let ended = try await client.waitUntilTerminal(first.id)
            #expect(ended.status == .failed)
            #expect(ended.statusReason?.contains("was removed while the run was executing") == true, "\(ended.statusReason ?? "")")
            let second = try await client.createRun(
                RunSpec(job: JobTarget(codespec: .inline(shell("echo second", marker: marker)))))
            #expect(second.id > first.id)
            let final = try await client.waitUntilTerminal(second.id)
            #expect(final.status == .succeeded)
            #expect(try backend.store.read(second.id).status == .succeeded)
        }
        #expect(left(marker).isEmpty)
    }

    /// A folder named with the largest ID (made by hand) does not stop new runs.
    @Test func aStrayFolderWithTheLargestIDDoesNotStopNewRuns() async throws {
        let home = try TemporaryDirectory()
        _ = try home.subdirectory("runs/\(Int.max)")
        try await withLocalBackend(home: home) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(RunSpec(job: JobTarget(codespec: .inline(Codespec(command: ["true"])))))
            #expect(run.id == .first)
            #expect(try await client.waitUntilTerminal(run.id).status == .succeeded)
        }
    }

    /// A host that is a zombie executes nothing: its runs read as failed.
    @Test func aZombieHostCountsAsDead() async throws {
        let home = try TemporaryDirectory()
        let store = RunRecordStore(directory: home.url)
        let folder = try store.create()
        let spec = try ResolvedRunSpec(job: .init(codespec: Codespec(command: ["true"])))
        try folder.write(Run(id: folder.id, spec: spec, status: .running, createdAt: Date(), backend: "local"))
        // A child that exited but is not reaped yet: LocalProcess keeps its zombie while it lives.
        let launched = LocalProcess.launchAll([ProcessLaunch(executable: "/bin/true")])
        let zombie = try #require(try launched.first?.get())
        _ = await zombie.exit()
        let started = try #require(HostProcess.stat(of: zombie.pid)?.startTime)
        try Data("\(zombie.pid) \(started)".utf8).write(to: folder.url.appendingPathComponent("host"))
        #expect(HostProcess.stat(of: zombie.pid)?.isZombie == true)
        #expect(!store.isHostAlive(folder.id))
        let shown = try await withLocalBackend(home: home) { try await $0.run(id: folder.id) }
        #expect(shown.status == .failed)
        #expect(shown.statusReason == "The process that executed the run exited before the run finished")
    }

    /// Run folders and state files hold codespec `env` values: only their owner may read them.
    @Test func stateFilesAreReadableByTheirOwnerOnly() async throws {
        let home = try TemporaryDirectory()
        try await withLocalBackend(home: home) { backend in
            let client = TygerClient(store: FileCodespecStore(directory: home.url), backend: backend)
            _ = try await client.createCodespec(Codespec(name: "secret", command: ["true"], env: ["TOKEN": "s3cr3t"]))
            let run = try await client.createRun(RunSpec(job: JobTarget(codespec: .named("secret", version: nil))))
            _ = try await client.waitUntilTerminal(run.id)
            let folder = backend.store.folderURL(run.id)
            for path in [folder.path, folder.appendingPathComponent("run.json").path, folder.appendingPathComponent("logs").path,
                home.url.appendingPathComponent("codespecs/secret").path, home.url.appendingPathComponent("codespecs/secret/1.json").path]
            {
                let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
                #expect(mode & 0o077 == 0, "\(path) is \(String(mode, radix: 8))")
            }
        }
    }

    // MARK: - Bounds

    /// Counts the machine cannot hold are refused before any port or process is taken.
    @Test func whatTheMachineCannotHoldIsRefusedUpFront() async throws {
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var spec = RunSpec(job: JobTarget(codespec: .inline(Codespec(command: ["true"]))))
            spec.worker = WorkerSpec(
                codespec: .inline(Codespec(kind: .worker, command: ["true"], endpoints: [Endpoint(name: "rpc", port: 1)])),
                replicas: 20_000)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: TygerError.self) { _ = try await client.createRun(spec) }
            #expect(clock.now - start < .seconds(5))
            #expect(error?.location?.keyPath == "worker.replicas")
            #expect(error?.message.contains("the local backend has 12768 ports") == true, "\(error?.message ?? "")")
            let runs = try await backend.runs()
            #expect(runs.isEmpty, "nothing was created")
        }
    }
}
