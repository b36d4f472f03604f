import Foundation
import Testing
import TygerKubernetesTesting

@Suite struct JobControllerTests {
    @Test func twoCompletionsSucceed() async throws {
        try await withServer { server, http in
            #expect(try await http.post(Fixtures.jobs, Fixtures.job("ok", ["exit", "0"], completions: 2)).status == 201)
            try await server.waitUntil(timeout: .seconds(20), "job complete") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "ok"), "Complete") != nil
            }
            let job = try #require(server.object("jobs", namespace: "tyger", name: "ok"))
            #expect(job[path: ["status", "succeeded"]] == 2)
            #expect(job[path: ["status", "active"]] == nil)
            #expect(job[path: ["status", "startTime"]] != nil)
            #expect(job[path: ["status", "completionTime"]] != nil)
            #expect(Fixtures.condition(job, "SuccessCriteriaMet") != nil)
            let pods = server.pods(ofJob: "ok")
            #expect(pods.count == 2)
            for pod in pods {
                #expect(pod[path: ["status", "phase"]] == "Succeeded")
                #expect(pod.name.hasPrefix("ok-"))
                #expect(pod.labels["batch.kubernetes.io/job-name"] == "ok")
                #expect(pod[path: ["metadata", "ownerReferences"]]?[0]?["controller"] == true)
                #expect(pod[path: ["metadata", "ownerReferences"]]?[0]?["uid"] == .string(job.uid))
                let terminated = pod[path: ["status", "containerStatuses"]]?[0]?[path: ["state", "terminated"]]
                #expect(terminated?["exitCode"] == 0)
                #expect(terminated?["reason"] == "Completed")
                #expect(server.podLog(pod: pod.name) == ["exiting with 0"])
            }
        }
    }

    @Test func indexedPodsAreNamedAndLabelledByIndex() async throws {
        try await withServer { server, http in
            let job = Fixtures.job(
                "idx", ["env", "JOB_COMPLETION_INDEX"], completions: 3, extraSpec: ["completionMode": "Indexed"])
            _ = try await http.post(Fixtures.jobs, job)
            try await server.waitUntil(timeout: .seconds(20), "indexed job complete") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "idx"), "Complete") != nil
            }
            let pods = server.pods(ofJob: "idx").sorted { $0.name < $1.name }
            #expect(pods.map { $0.labels["batch.kubernetes.io/job-completion-index"] } == ["0", "1", "2"])
            for (index, pod) in pods.enumerated() {
                #expect(pod.name.hasPrefix("idx-\(index)-") && pod.name.count == "idx-\(index)-".count + 5, "\(pod.name)")
                #expect(server.podLog(pod: pod.name) == ["JOB_COMPLETION_INDEX=\(index)"])
            }
            #expect(server.object("jobs", namespace: "tyger", name: "idx")?[path: ["status", "completedIndexes"]] == "0-2")
        }
    }

    @Test func nonZeroExitFailsTheJob() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.jobs, Fixtures.job("bad", ["exit", "3"], backoffLimit: 0))
            try await server.waitUntil(timeout: .seconds(20), "job failed") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "bad"), "Failed") != nil
            }
            let job = try #require(server.object("jobs", namespace: "tyger", name: "bad"))
            #expect(Fixtures.condition(job, "Failed")?["reason"] == "BackoffLimitExceeded")
            #expect(job[path: ["status", "failed"]] == 1)
            let pods = server.pods(ofJob: "bad")
            #expect(pods.count == 1, "backoffLimit 0: the first failure fails the Job")
            let terminated = pods.first?[path: ["status", "containerStatuses"]]?[0]?[path: ["state", "terminated"]]
            #expect(terminated?["exitCode"] == 3)
            #expect(terminated?["reason"] == "Error")
            #expect(pods.first?[path: ["status", "phase"]] == "Failed")
        }
    }

    @Test func failedPodsAreRetriedUpToTheBackoffLimit() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.jobs, Fixtures.job("retry", ["exit", "1"], backoffLimit: 2))
            try await server.waitUntil(timeout: .seconds(20), "job failed") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "retry"), "Failed") != nil
            }
            #expect(server.pods(ofJob: "retry").count == 3)
            #expect(server.object("jobs", namespace: "tyger", name: "retry")?[path: ["status", "failed"]] == 3)
        }
    }

    @Test func activeDeadlineFailsTheJobAndStopsItsPods() async throws {
        try await withServer { server, http in
            _ = try await http.post(
                Fixtures.jobs, Fixtures.job("slow", ["sleep", "300"], extraSpec: ["activeDeadlineSeconds": 1]))
            try await server.waitUntil(timeout: .seconds(20), "deadline") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "slow"), "Failed") != nil
            }
            let job = try #require(server.object("jobs", namespace: "tyger", name: "slow"))
            #expect(Fixtures.condition(job, "Failed")?["reason"] == "DeadlineExceeded")
            #expect(Fixtures.condition(job, "Failed")?["message"] == "Job was active longer than specified deadline")
            try await server.waitUntil(timeout: .seconds(10), "pods stopped") { $0.pods(ofJob: "slow").isEmpty }
        }
    }

    @Test func ttlAfterFinishedDeletesTheJobAndItsPods() async throws {
        try await withServer { server, http in
            // A watch sees every state in order, however late the test gets to look.
            let jobs = try await http.stream(Fixtures.jobs + "?watch=true&fieldSelector=metadata.name%3Dbrief")
            let pods = try await http.stream(Fixtures.pods + "?watch=true&labelSelector=job-name%3Dbrief")
            defer {
                jobs.close()
                pods.close()
            }
            _ = try await http.post(
                Fixtures.jobs, Fixtures.job("brief", ["exit", "0"], extraSpec: ["ttlSecondsAfterFinished": 1]))
            let complete = await jobs.event { Fixtures.condition($0["object"], "Complete") != nil }
            #expect(complete != nil)
            let deleted = await jobs.event { $0["type"] == "DELETED" }
            #expect(deleted != nil)
            let completedAt = ObjectDates.date(complete?[path: ["object", "status", "completionTime"]]?.stringValue)
            #expect(completedAt != nil)
            #expect(await pods.event { $0["type"] == "DELETED" } != nil, "the pod is deleted with the Job")
            try await server.waitUntil(timeout: .seconds(10), "nothing left") {
                $0.object("jobs", namespace: "tyger", name: "brief") == nil && $0.pods(ofJob: "brief").isEmpty
            }
        }
    }

    @Test func missingServiceAccountIsReportedAsAnEvent() async throws {
        try await withServer { server, http in
            var job = Fixtures.job("noaccount", ["exit", "0"])
            job[path: ["spec", "template", "spec", "serviceAccountName"]] = "missing"
            _ = try await http.post(Fixtures.jobs, job)
            try await server.waitUntil(timeout: .seconds(10), "FailedCreate event") { server in
                server.objects("events", namespace: "tyger").contains {
                    $0["reason"] == "FailedCreate" && $0[path: ["involvedObject", "name"]] == "noaccount"
                }
            }
            #expect(server.pods(ofJob: "noaccount").isEmpty)
        }
    }
}

@Suite struct StatefulSetTests {
    @Test func workersBecomeReadyWithStableIdentities() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("w"))
            _ = try await http.post(Fixtures.statefulSets, DiscoveryFixtures.workers("w", replicas: 3, arguments: ["worker"]))
            try await server.waitUntil(timeout: .seconds(20), "3 ready replicas") {
                $0.object("statefulsets", namespace: "tyger", name: "w")?[path: ["status", "readyReplicas"]] == 3
            }
            let pods = server.objects("pods", namespace: "tyger")
            #expect(pods.map(\.name) == ["w-0", "w-1", "w-2"])
            for (index, pod) in pods.enumerated() {
                #expect(pod.labels["apps.kubernetes.io/pod-index"] == String(index))
                #expect(pod.labels["statefulset.kubernetes.io/pod-name"] == "w-\(index)")
                #expect(pod[path: ["spec", "hostname"]] == .string("w-\(index)"))
                #expect(pod[path: ["spec", "subdomain"]] == "w")
                #expect(pod[path: ["status", "phase"]] == "Running")
                #expect(server.podLog(pod: pod.name) == ["worker \(index) listening on rpc=8080"])
            }
            let set = try #require(server.object("statefulsets", namespace: "tyger", name: "w"))
            #expect(set[path: ["status", "replicas"]] == 3)
            #expect(set[path: ["status", "availableReplicas"]] == 3)
        }
    }

    @Test func deletedPodsAreRecreatedAndCrashesRestartInPlace() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("r"))
            _ = try await http.post(
                Fixtures.statefulSets,
                DiscoveryFixtures.workers("r", replicas: 1, arguments: ["worker", "--fail-first-start", "/tmp/marker"]))
            try await server.waitUntil(timeout: .seconds(20), "ready after one restart") {
                $0.object("statefulsets", namespace: "tyger", name: "r")?[path: ["status", "readyReplicas"]] == 1
            }
            let first = try #require(server.object("pods", namespace: "tyger", name: "r-0"))
            let status = first[path: ["status", "containerStatuses"]]?[0]
            #expect(status?["restartCount"] == 1)
            #expect(status?[path: ["lastState", "terminated", "exitCode"]] == 1)

            _ = try await http.delete(Fixtures.pods + "/r-0")
            try await server.waitUntil(timeout: .seconds(20), "recreated") { server in
                guard let pod = server.object("pods", namespace: "tyger", name: "r-0") else { return false }
                return pod.uid != first.uid && ClusterView.isReady(pod)
            }
        }
    }

    @Test func orderedReadyStartsOneAtATime() async throws {
        try await withServer { server, http in
            let pods = try await http.stream(Fixtures.pods + "?watch=true")
            defer { pods.close() }
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("o"))
            var set = DiscoveryFixtures.workers("o", replicas: 2, arguments: ["worker", "--listen-after", "0.3"])
            set[path: ["spec", "podManagementPolicy"]] = "OrderedReady"
            _ = try await http.post(Fixtures.statefulSets, set)
            // In the event order: o-0 is Ready before o-1 is even created.
            var firstReady = false
            let secondAdded = await pods.event { event in
                if event["object"]?.name == "o-0", let pod = event["object"], ClusterView.isReady(pod) { firstReady = true }
                return event["type"] == "ADDED" && event["object"]?.name == "o-1"
            }
            #expect(secondAdded != nil)
            #expect(firstReady, "o-1 was created before o-0 was Ready")
            try await server.waitUntil(timeout: .seconds(20), "both ready") {
                $0.object("statefulsets", namespace: "tyger", name: "o")?[path: ["status", "readyReplicas"]] == 2
            }
        }
    }
}

enum ObjectDates {
    static func date(_ text: String?) -> Date? {
        text.flatMap { try? Date($0, strategy: .iso8601) }
    }
}
