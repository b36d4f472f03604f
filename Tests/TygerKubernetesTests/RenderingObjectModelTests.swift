import Foundation
import Testing
import TygerKubernetes

/// The object models read what the API server sends (unknown fields ignored, list items
/// without `apiVersion` and `kind`) and write only what is set.
@Suite struct RenderingObjectModelTests {
    /// A failed job pod as the API server returns it, trimmed, with fields the models do not know.
    static let failedPod = #"""
        {
          "metadata": {
            "name": "run-42-job-0-x7k2q", "namespace": "tyger", "uid": "9b1e7c1d-2f4a-4a53-8d5c-1f0f3f0b6a11",
            "resourceVersion": "4711", "creationTimestamp": "2026-11-29T07:52:47Z",
            "labels": {"tyger.dev/run": "42", "batch.kubernetes.io/job-completion-index": "0"},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "run-42-job",
              "uid": "6f1c9a2e-0000-4000-8000-000000000042", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kube-controller-manager"}]
          },
          "spec": {"containers": [{"name": "main", "image": "job:1", "terminationMessagePath": "/dev/termination-log"}],
                   "restartPolicy": "Never", "dnsPolicy": "ClusterFirst"},
          "status": {
            "phase": "Failed", "podIP": "10.244.0.12", "hostIP": "172.18.0.2", "startTime": "2026-11-29T07:52:48Z",
            "qosClass": "BestEffort",
            "conditions": [{"type": "Ready", "status": "False", "reason": "PodFailed", "lastProbeTime": null,
                            "lastTransitionTime": "2026-11-29T07:53:01Z"}],
            "initContainerStatuses": [{"name": "wait-for-workers", "ready": true, "restartCount": 0, "image": "busybox:1.36",
              "imageID": "docker.io/library/busybox@sha256:00", "state": {"terminated": {"exitCode": 0, "reason": "Completed",
              "startedAt": "2026-11-29T07:52:49Z", "finishedAt": "2026-11-29T07:52:55Z", "containerID": "containerd://1"}}}],
            "containerStatuses": [{"name": "main", "ready": false, "restartCount": 0, "started": false,
              "state": {"terminated": {"exitCode": 3, "reason": "Error", "message": "boom",
                "startedAt": "2026-11-29T07:52:56Z", "finishedAt": "2026-11-29T07:53:00.123456Z"}},
              "lastState": {}}]
          }
        }
        """#

    @Test func aPodFromTheAPIServerDecodes() throws {
        let pod = try JSONDecoder().decode(Pod.self, from: Data(Self.failedPod.utf8))
        #expect(pod.apiVersion == "v1" && pod.kind == "Pod")  // absent in list items: the type's own
        #expect(pod.metadata.uid == "9b1e7c1d-2f4a-4a53-8d5c-1f0f3f0b6a11")
        #expect(pod.metadata.ownerReferences?.first?.controller == true)
        #expect(pod.status?.phase == "Failed")
        #expect(pod.status?.conditions?.first?.reason == "PodFailed")
        #expect(pod.status?.initContainerStatuses?.first?.state?.terminated?.exitCode == 0)
        let main = try #require(pod.status?.containerStatuses?.first)
        #expect(main.state?.terminated?.exitCode == 3)
        #expect(main.state?.terminated?.message == "boom")
        #expect(main.lastState == ContainerStatus.State())
        #expect(KubernetesTime.date(from: pod.metadata.creationTimestamp) == Date(timeIntervalSince1970: 1_795_938_767))
        let finished = try #require(KubernetesTime.date(from: main.state?.terminated?.finishedAt))
        #expect(abs(finished.timeIntervalSince1970 - 1_795_938_780.123456) < 0.001)
        #expect(KubernetesTime.date(from: "yesterday") == nil)
        #expect(KubernetesTime.string(from: Date(timeIntervalSince1970: 1_795_938_767)) == "2026-11-29T07:52:47Z")
    }

    @Test func jobAndStatefulSetStatusesDecode() throws {
        let job = try JSONDecoder().decode(
            Job.self,
            from: Data(
                #"""
                {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "run-42-job", "uid": "u"},
                 "spec": {"template": {"spec": {"containers": [{"name": "main"}]}}, "backoffLimit": 0, "suspend": false},
                 "status": {"failed": 1, "startTime": "2026-11-29T07:52:47Z", "uncountedTerminatedPods": {},
                   "conditions": [{"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded"},
                                  {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                   "message": "Job has reached the specified backoff limit"}]}}
                """#.utf8))
        #expect(job.status?.failed == 1)
        #expect(job.status?.condition("Failed")?.message == "Job has reached the specified backoff limit")
        #expect(job.status?.condition("Complete") == nil)
        let statefulSet = try JSONDecoder().decode(
            StatefulSet.self,
            from: Data(
                #"{"metadata": {"name": "w"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {}}, "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 2, "currentReplicas": 3, "observedGeneration": 1}}"#
                    .utf8))
        #expect(statefulSet.kind == "StatefulSet")
        #expect(
            statefulSet.status
                == StatefulSet.Status(replicas: 3, readyReplicas: 2, availableReplicas: 2, currentReplicas: 3))
    }

    @Test func intOrStringReadsAndWritesBothForms() throws {
        let ports = try JSONDecoder().decode([IntOrString].self, from: Data(#"[8080, "http"]"#.utf8))
        #expect(ports == [.int(8080), .string("http")])
        #expect(String(decoding: try JSONEncoder().encode(ports), as: UTF8.self) == #"[8080,"http"]"#)
    }

    @Test func initializersSetTheTypeAndEncodingOmitsAbsentFields() throws {
        let configMap = ConfigMap(metadata: ObjectMeta(name: "run-42"), data: ["run": "{}"])
        #expect(
            String(decoding: try JSONEncoder.sorted.encode(configMap), as: UTF8.self)
                == #"{"apiVersion":"v1","data":{"run":"{}"},"kind":"ConfigMap","metadata":{"name":"run-42"}}"#)
        #expect(Service(metadata: ObjectMeta()).apiVersion == "v1")
        let types: [any KubernetesObject.Type] = [Job.self, Service.self, StatefulSet.self, ConfigMap.self, Pod.self]
        #expect(
            types.map { "\($0.objectAPIVersion) \($0.objectKind) \($0.resource)" } == [
                "batch/v1 Job jobs", "v1 Service services", "apps/v1 StatefulSet statefulsets",
                "v1 ConfigMap configmaps",
                "v1 Pod pods",
            ])
    }

    @Test func runObjectNamesAreDerivedFromTheRunIDAlone() {
        let names = RunObjectNames(runID: runID(42))
        #expect(names.job == "run-42-job")
        #expect(names.worker == "run-42-worker")
        #expect(names.workerPod(3) == "run-42-worker-3")
        #expect(names.workerHost(1, namespace: "tyger") == "run-42-worker-1.run-42-worker.tyger.svc.cluster.local")
        let options = KubernetesRenderOptions()
        #expect(options.labelSelector(runID: runID(42)) == "tyger.dev/run=42")
        #expect(options.labelSelector(runID: runID(42), role: .worker) == "tyger.dev/run=42,tyger.dev/role=worker")
    }
}
