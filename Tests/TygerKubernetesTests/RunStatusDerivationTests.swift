import Foundation
import Testing
import TygerKit

@testable import TygerKubernetes

/// How the backend reads a run's status from its Kubernetes objects.
@Suite struct RunStatusDerivationTests {
    private let options = KubernetesRenderOptions()

    private func objects(workers: Int? = 2, job: Job? = Job(metadata: ObjectMeta(name: "run-7-job"))) -> RunObjects {
        var spec = RunSpec(job: JobTarget(codespec: .inline(Codespec(image: "job", command: ["j"]))))
        var workerCodespec: Codespec?
        if let workers {
            workerCodespec = Codespec(kind: .worker, image: "w", command: ["w"], endpoints: [Endpoint(name: "rpc", port: 1)])
            spec.worker = WorkerSpec(codespec: .inline(workerCodespec ?? Codespec()), replicas: workers)
        }
        let resolved = fixture {
            try ResolvedRunSpec(spec: spec, jobCodespec: Codespec(image: "job", command: ["j"]), workerCodespec: workerCodespec)
        }
        var objects = RunObjects(record: RunRecord(id: runID(7), spec: resolved, createdAt: Date(timeIntervalSince1970: 0)))
        objects.job = job
        return objects
    }

    private func pod(_ name: String, role: RunRole, main state: ContainerStatus.State? = nil, ready: Bool = false) -> Pod {
        let container = role == .job ? RunRenderer.jobContainerName : RunRenderer.workerContainerName
        return Pod(
            metadata: ObjectMeta(name: name, labels: options.labels(runID: runID(7), role: role)),
            status: Pod.Status(
                conditions: [Pod.Condition(type: "Ready", status: ready ? "True" : "False")],
                containerStatuses: state.map { [ContainerStatus(name: container, state: $0)] }
            )
        )
    }

    private func job(condition: String, reason: String? = nil) -> Job {
        Job(
            metadata: ObjectMeta(name: "run-7-job"),
            status: Job.Status(conditions: [Job.Condition(type: condition, status: "True", reason: reason)]))
    }

    private func derive(_ objects: RunObjects) -> Run {
        RunStatusDerivation.run(from: objects, backend: "kubernetes")
    }

    @Test func pendingWhileWaitingForWorkersCountsReadyReplicas() {
        var state = objects()
        state.workerPods["run-7-worker-0"] = pod("run-7-worker-0", role: .worker, ready: true)
        state.workerPods["run-7-worker-1"] = pod("run-7-worker-1", role: .worker, ready: false)
        state.jobPods["run-7-job-0-abcde"] = pod("run-7-job-0-abcde", role: .job)
        let run = derive(state)
        #expect(run.status == .pending)
        #expect(run.workers == WorkerProgress(ready: 1, total: 2))
    }

    @Test func runningOnceMainStarts() {
        var state = objects()
        state.jobPods["p"] = pod("p", role: .job, main: .init(running: .init(startedAt: "2026-11-29T08:00:00Z")))
        let run = derive(state)
        #expect(run.status == .running)
        #expect(run.startedAt == KubernetesTime.date(from: "2026-11-29T08:00:00Z"))
    }

    @Test func completeJobSucceeds() {
        #expect(derive(objects(job: job(condition: "Complete"))).status == .succeeded)
    }

    @Test func failedJobReportsMainsExitCode() {
        var state = objects(job: job(condition: "Failed", reason: "BackoffLimitExceeded"))
        state.jobPods["p"] = pod("p", role: .job, main: .init(terminated: .init(exitCode: 3, startedAt: "2026-11-29T08:00:00Z")))
        let run = derive(state)
        #expect(run.status == .failed)
        #expect(run.statusReason == "Main exited with code 3")
    }

    @Test func aNonZeroExitFailsTheRunBeforeTheJobControllerCatchesUp() {
        var state = objects()
        state.jobPods["p"] = pod("p", role: .job, main: .init(terminated: .init(exitCode: 9)))
        #expect(derive(state).statusReason == "Main exited with code 9")
    }

    @Test func deadlineWhilePendingCancels() {
        let run = derive(objects(job: job(condition: "Failed", reason: "DeadlineExceeded")))
        #expect(run.status == .canceled)
        #expect(run.statusReason == "Run exceeded its timeout while pending")
    }

    @Test func deadlineWhileRunningFails() {
        var state = objects(job: job(condition: "Failed", reason: "DeadlineExceeded"))
        state.jobPods["p"] = pod("p", role: .job, main: .init(terminated: .init(exitCode: 143, startedAt: "2026-11-29T08:00:00Z")))
        let run = derive(state)
        #expect(run.status == .failed)
        #expect(run.statusReason == "Run exceeded its timeout")
    }

    @Test func cancelRequestedIsCancelingUntilThePodsAreGone() {
        var state = objects()
        state.record.cancelRequested = true
        state.jobPods["p"] = pod("p", role: .job, main: .init(running: .init(startedAt: "2026-11-29T08:00:00Z")))
        #expect(derive(state).status == .canceling)
        state.job = nil
        state.jobPods = [:]
        let run = derive(state)
        #expect(run.status == .canceled)
        #expect(run.statusReason == "Canceled by user")
    }

    @Test func aRecordedResultWins() {
        var state = objects(job: nil)
        var final = derive(objects(job: job(condition: "Complete")))
        final.finishedAt = Date(timeIntervalSince1970: 10)
        state.record.final = final
        #expect(derive(state) == final)
    }

    @Test func aMissingJobWithoutAResultIsAFailure() {
        let run = derive(objects(job: nil))
        #expect(run.status == .failed)
        #expect(run.statusReason?.contains("Job was deleted") == true)
    }

    @Test func anImageThatCannotBePulledIsShownWhilePending() {
        var state = objects()
        var stuck = pod("run-7-worker-1", role: .worker)
        stuck.status?.containerStatuses = [
            ContainerStatus(name: "worker", state: .init(waiting: .init(reason: "ImagePullBackOff", message: "not found")))
        ]
        state.workerPods["run-7-worker-1"] = stuck
        let run = derive(state)
        #expect(run.status == .pending)
        #expect(run.statusReason == "run-7-worker-1 worker: ImagePullBackOff: not found")
    }

    @Test func codespecConfigMapNamesAreValidWhateverTheCodespecName() {
        for name in ["a", "my_codespec.v2", String(repeating: "x", count: 200)] {
            let hash = ConfigMapCodespecStore.hash(name)
            #expect(hash.count == 16)
            #expect(KubernetesNameRules.isLabelValue(hash))
            #expect(KubernetesNameRules.isDNS1123Subdomain("codespec-\(hash)-v12"))
        }
        #expect(ConfigMapCodespecStore.hash("a") != ConfigMapCodespecStore.hash("b"))
    }
}
