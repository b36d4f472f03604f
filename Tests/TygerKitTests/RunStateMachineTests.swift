import Foundation
import Testing
@testable import TygerKit

/// The status rules of a supervised run, decided without a single process.
@Suite struct RunStateMachineTests {
    private let now = Date(timeIntervalSince1970: 1_000)
    private let delay = RunStateMachine.RestartDelay(initial: .milliseconds(100), maximum: .milliseconds(400))

    private func machine(workers: Int = 0, jobReplicas: Int = 1) throws -> RunStateMachine {
        let job = ResolvedRunSpec.Job(codespec: Codespec(command: ["job"]), replicas: jobReplicas)
        let worker =
            workers > 0
            ? ResolvedRunSpec.Workers(
                codespec: Codespec(kind: .worker, command: ["w"], endpoints: [Endpoint(name: "rpc", port: 1)]),
                replicas: workers)
            : nil
        let spec = try ResolvedRunSpec(job: job, worker: worker)
        let run = Run(id: .first, spec: spec, createdAt: now, backend: "test")
        return RunStateMachine(run: run, restartDelay: delay, now: now)
    }

    /// Starts the machine with every worker running and ready, so the job has started.
    private func running(workers: Int = 2) throws -> RunStateMachine {
        var machine = try self.machine(workers: workers)
        _ = machine.start()
        for index in 0..<workers {
            _ = machine.handle(.workerStarted(index, generation: 1), now: now)
            _ = machine.handle(.workerReady(index, generation: 1), now: now)
        }
        _ = machine.handle(.jobStarted, now: now)
        return machine
    }

    @Test func aRunWithoutWorkersStartsTheJobAtOnce() throws {
        var machine = try machine()
        #expect(machine.start() == [.startJob])
        #expect(machine.handle(.jobStarted, now: now) == [.publish])
        #expect(machine.run.status == .running)
        #expect(machine.run.startedAt == now)
    }

    @Test func theJobStartsOnlyWhenEveryWorkerIsReady() throws {
        var machine = try machine(workers: 2)
        #expect(machine.start().contains(.startWorkers([0, 1])))
        #expect(machine.run.statusReason == "waiting for 2 of 2 worker replica(s) to accept connections")
        _ = machine.handle(.workerStarted(0, generation: 1), now: now)
        _ = machine.handle(.workerStarted(1, generation: 1), now: now)
        #expect(!machine.handle(.workerReady(0, generation: 1), now: now).contains(.startJob))
        #expect(machine.run.workers == WorkerProgress(ready: 1, total: 2))
        #expect(machine.handle(.workerReady(1, generation: 1), now: now).contains(.startJob))
    }

    @Test func aCancelBeforeTheJobStartsKeepsItFromStarting() throws {
        var machine = try machine(workers: 1)
        _ = machine.start()
        _ = machine.handle(.workerStarted(0, generation: 1), now: now)
        let actions = machine.handle(.cancel(.canceledByUser), now: now)
        #expect(actions.contains(.stopEverything))
        #expect(machine.run.status == .canceling)
        #expect(!machine.handle(.workerReady(0, generation: 1), now: now).contains(.startJob))
        #expect(machine.handle(.stopped, now: now) == [.publish, .finish])
        #expect(machine.run.status == .canceled)
        #expect(machine.run.statusReason == "Canceled by user")
    }

    /// A terminal status is reached only once everything stopped, and never changes after.
    @Test func theEndWaitsForEverythingToStopAndStays() throws {
        var machine = try running()
        #expect(machine.handle(.jobExited(replica: 0, .exited(code: 3)), now: now).contains(.stopEverything))
        #expect(machine.run.status == .running, "not terminal while processes remain")
        _ = machine.handle(.stopped, now: now)
        #expect(machine.run.status == .failed)
        #expect(machine.run.statusReason == "Main exited with code 3")
        #expect(machine.isFinished)
        #expect(machine.handle(.cancel(.canceledByUser), now: now).isEmpty)
        #expect(machine.handle(.timedOut, now: now).isEmpty)
        #expect(machine.run.status == .failed)
    }

    @Test func everyJobReplicaMustSucceed() throws {
        var machine = try self.machine(jobReplicas: 3)
        _ = machine.start()
        _ = machine.handle(.jobStarted, now: now)
        #expect(machine.handle(.jobExited(replica: 0, .exited(code: 0)), now: now).isEmpty)
        #expect(machine.handle(.jobExited(replica: 2, .exited(code: 0)), now: now).isEmpty)
        #expect(machine.handle(.jobExited(replica: 1, .exited(code: 0)), now: now).contains(.stopEverything))
        _ = machine.handle(.stopped, now: now)
        #expect(machine.run.status == .succeeded)
        #expect(machine.run.statusReason == nil)
    }

    @Test(arguments: [(true, RunStatus.canceled, "Run exceeded its timeout while pending"), (false, .failed, "Run exceeded its timeout")])
    func timeouts(whilePending: Bool, status: RunStatus, reason: String) throws {
        var machine = try whilePending ? self.machine(workers: 1) : running()
        if whilePending { _ = machine.start() }
        _ = machine.handle(.timedOut, now: now)
        _ = machine.handle(.stopped, now: now)
        #expect(machine.run.status == status)
        #expect(machine.run.statusReason == reason)
    }

    @Test func workersAreRestartedWithADoublingDelay() throws {
        var machine = try running(workers: 1)
        var delays: [Duration] = []
        for generation in 1...4 {
            let actions = machine.handle(.workerExited(0, generation: generation, .exited(code: 1)), now: now)
            guard case .scheduleRestart(0, generation, let delay)? = actions.last else {
                Issue.record("no restart scheduled: \(actions)")
                return
            }
            delays.append(delay)
            #expect(machine.handle(.restartDue(0, generation: generation), now: now) == [.startWorkers([0])])
            #expect(machine.generation(ofWorker: 0) == generation + 1)
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(400)])
        #expect(machine.workers[0].failures == 4)
        #expect(machine.run.status == .running, "a worker's exits do not end the run")
    }

    @Test func eventsAboutAnEarlierProcessAreIgnored() throws {
        var machine = try machine(workers: 1)
        _ = machine.start()
        _ = machine.handle(.workerExited(0, generation: 1, .signaled(9)), now: now)
        _ = machine.handle(.restartDue(0, generation: 1), now: now)
        #expect(machine.handle(.workerReady(0, generation: 1), now: now).isEmpty, "generation 1 is gone")
        #expect(machine.handle(.workerReady(0, generation: 2), now: now).contains(.startJob))
    }

    @Test func aWorkerThatCannotStartFailsTheRun() throws {
        var machine = try machine(workers: 2)
        _ = machine.start()
        let actions = machine.handle(.workerFailedToStart(1, generation: 1, message: "cannot start /x: Permission denied"), now: now)
        #expect(actions.contains(.stopEverything))
        _ = machine.handle(.stopped, now: now)
        #expect(machine.run.status == .failed)
        #expect(machine.run.statusReason == "worker-1 could not start: cannot start /x: Permission denied")
    }

    @Test func aDiagnosisNamesWhatTheRunWaitsFor() throws {
        var machine = try machine(workers: 1)
        _ = machine.start()
        _ = machine.handle(.workerStarted(0, generation: 1), now: now)
        let message = "worker-0's endpoint 'rpc' was given port 20013, and it listens on 8080 instead"
        #expect(machine.handle(.workerDiagnosis(0, generation: 1, message), now: now).contains(.publish))
        #expect(machine.run.statusReason == message)
        #expect(machine.handle(.workerDiagnosis(0, generation: 1, message), now: now).isEmpty, "said once")
    }
}
