import Foundation
import Testing
import TygerKubernetesTesting

@Suite struct GarbageCollectionTests {
    /// An owner ConfigMap and two dependents that reference it (one holding a finalizer when asked).
    private func family(_ http: TestHTTP, holdDependent: Bool = false) async throws -> JSONValue {
        let owner = try await http.post(Fixtures.configMaps, Fixtures.configMap("owner")).json
        let reference: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": .string(owner.uid),
            "blockOwnerDeletion": true,
        ]
        for name in ["child-a", "child-b"] {
            var child = Fixtures.configMap(name)
            child[path: ["metadata", "ownerReferences"]] = [reference]
            if holdDependent && name == "child-a" { child[path: ["metadata", "finalizers"]] = ["test.tyger/hold"] }
            #expect(try await http.post(Fixtures.configMaps, child).status == 201)
        }
        return owner
    }

    @Test func backgroundDeletesDependentsAfterTheOwner() async throws {
        try await withServer { server, http in
            _ = try await family(http)
            let response = try await http.delete(Fixtures.configMaps + "/owner", ["propagationPolicy": "Background"])
            #expect(response.status == 200)
            #expect(server.object("configmaps", namespace: "tyger", name: "owner") == nil, "the owner goes first")
            try await server.waitUntil(timeout: .seconds(30), "dependents collected") {
                $0.objects("configmaps", namespace: "tyger").isEmpty
            }
        }
    }

    @Test func foregroundKeepsTheOwnerUntilDependentsAreGone() async throws {
        try await withServer { server, http in
            _ = try await family(http, holdDependent: true)
            let response = try await http.delete(Fixtures.configMaps + "/owner?propagationPolicy=Foreground")
            #expect(response.status == 202)
            #expect(response.json[path: ["metadata", "deletionTimestamp"]] != nil)
            #expect(response.json[path: ["metadata", "finalizers"]] == ["foregroundDeletion"])
            try await server.waitUntil(timeout: .seconds(30), "child-b collected") {
                $0.object("configmaps", namespace: "tyger", name: "child-b") == nil
            }
            #expect(server.object("configmaps", namespace: "tyger", name: "owner") != nil, "blocked by child-a")
            let held = try #require(server.object("configmaps", namespace: "tyger", name: "child-a"))
            #expect(held[path: ["metadata", "deletionTimestamp"]] != nil)

            // Removing the dependent's finalizer completes its deletion, and then the owner's.
            #expect(try await http.patch(Fixtures.configMaps + "/child-a", ["metadata": ["finalizers": .null]]).status == 200)
            try await server.waitUntil(timeout: .seconds(30), "owner deleted") {
                $0.objects("configmaps", namespace: "tyger").isEmpty
            }
        }
    }

    @Test func orphanKeepsDependentsWithoutTheReference() async throws {
        try await withServer { server, http in
            _ = try await family(http)
            #expect(try await http.delete(Fixtures.configMaps + "/owner", ["propagationPolicy": "Orphan"]).status == 200)
            // Orphaning is done once the owner is gone and no dependent refers to it any more.
            try await server.waitUntil(timeout: .seconds(10), "dependents orphaned") { server in
                let maps = server.objects("configmaps", namespace: "tyger")
                return !maps.contains { $0.name == "owner" }
                    && maps.allSatisfy { $0[path: ["metadata", "ownerReferences"]] == nil }
            }
            let left = server.objects("configmaps", namespace: "tyger")
            #expect(left.map(\.name) == ["child-a", "child-b"])
            #expect(left.allSatisfy { $0[path: ["metadata", "ownerReferences"]] == nil })
        }
    }

    @Test func jobsOrphanTheirPodsByDefaultWithAWarning() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.jobs, Fixtures.job("keep", ["sleep", "300"]))
            try await server.waitUntil(timeout: .seconds(10), "job pod") { !$0.pods(ofJob: "keep").isEmpty }
            let response = try await http.delete(Fixtures.jobs + "/keep")
            #expect(response.header("Warning")?.contains("child pods are preserved by default") == true)
            try await server.waitUntil(timeout: .seconds(10), "the job gone and its pod orphaned") { server in
                server.object("jobs", namespace: "tyger", name: "keep") == nil
                    && server.pods(ofJob: "keep").allSatisfy { $0[path: ["metadata", "ownerReferences"]] == nil }
            }
            let pods = server.pods(ofJob: "keep")
            #expect(pods.count == 1)
            #expect(pods.first?[path: ["metadata", "ownerReferences"]] == nil)
        }
    }

    @Test func deletingAJobWithBackgroundDeletesItsPods() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.jobs, Fixtures.job("gone", ["sleep", "300"], completions: 2))
            try await server.waitUntil(timeout: .seconds(10), "two running pods") { server in
                server.pods(ofJob: "gone").filter { $0[path: ["status", "phase"]] == "Running" }.count == 2
            }
            _ = try await http.delete(Fixtures.jobs + "/gone", ["propagationPolicy": "Background"])
            try await server.waitUntil(timeout: .seconds(10), "pods gone") { $0.pods(ofJob: "gone").isEmpty }
        }
    }

    @Test func deletingANamespaceDeletesItsContents() async throws {
        try await withServer { server, http in
            #expect(try await http.post("/api/v1/namespaces", ["metadata": ["name": "scratch"]]).status == 201)
            #expect(server.object("serviceaccounts", namespace: "scratch", name: "default") != nil)
            _ = try await http.post("/api/v1/namespaces/scratch/configmaps", Fixtures.configMap("x"))
            let deleting = try await http.delete("/api/v1/namespaces/scratch")
            #expect(deleting.json[path: ["status", "phase"]] == "Terminating")
            try await server.waitUntil(timeout: .seconds(30), "namespace gone") {
                $0.object("namespaces", name: "scratch") == nil
            }
            #expect(server.objects("configmaps", namespace: "scratch").isEmpty)
        }
    }
}

@Suite struct FaultInjectionTests {
    @Test func tooManyRequestsWithRetryAfterForCountedTimes() async throws {
        try await withServer { server, http in
            server.faults.inject(
                .status(429, retryAfterSeconds: 1), matching: .init(method: .POST, pathContains: "/configmaps"), times: 2)
            let first = try await http.post(Fixtures.configMaps, Fixtures.configMap("a"))
            #expect(first.status == 429)
            #expect(first.header("Retry-After") == "1")
            #expect(first.json["reason"] == "TooManyRequests")
            #expect(first.json[path: ["details", "retryAfterSeconds"]] == 1)
            #expect(try await http.get(Fixtures.configMaps).status == 200, "GETs do not match")
            #expect(try await http.post(Fixtures.configMaps, Fixtures.configMap("a")).status == 429)
            #expect(try await http.post(Fixtures.configMaps, Fixtures.configMap("a")).status == 201)
            #expect(server.faults.pendingCount == 0)

            let writes = server.requests.filter(\.isWrite)
            #expect(writes.count == 3)
            #expect(writes.map(\.statusCode) == [429, 429, 201])
            #expect(writes.filter(\.faulted).count == 2)
            #expect(writes.first?.contentType == "application/json")
        }
    }

    @Test func internalErrorAndServiceUnavailable() async throws {
        try await withServer { server, http in
            server.faults.inject(.status(500), matching: .init(method: .GET, pathContains: "/pods"), times: 1)
            server.faults.inject(.status(503), matching: .init(pathContains: "/jobs"), times: 1)
            let failure = try await http.get(Fixtures.pods)
            #expect(failure.status == 500)
            #expect(failure.json["reason"] == "InternalError")
            #expect(failure.json["kind"] == "Status")
            let unavailable = try await http.get(Fixtures.jobs)
            #expect(unavailable.status == 503)
            #expect(unavailable.json["reason"] == "ServiceUnavailable")
            #expect(try await http.get(Fixtures.pods).status == 200)
            #expect(try await http.get(Fixtures.jobs).status == 200)
        }
    }

    @Test func requestLogRecordsEveryRequest() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("a"))
            _ = try await http.patch(Fixtures.configMaps + "/a", ["data": ["x": "1"]])
            _ = try await http.get(Fixtures.configMaps + "?labelSelector=x")
            _ = try await http.delete(Fixtures.configMaps + "/a")
            let log = server.requests
            #expect(log.map(\.method) == ["POST", "PATCH", "GET", "DELETE"])
            #expect(log[1].contentType == "application/merge-patch+json")
            #expect(log[2].query["labelSelector"] == "x")
            #expect(log.filter(\.isWrite).count == 3)
            server.clearRequests()
            #expect(server.requests.isEmpty)
        }
    }

    @Test func closedConnection() async throws {
        try await withServer { server, http in
            server.faults.inject(.closeConnection, matching: .init(method: .GET), times: 1)
            let response = try? await http.get(Fixtures.configMaps)
            #expect(response?.status == nil, "no answer at all")
            let next = try await http.get(Fixtures.configMaps)
            #expect(next.status == 200)
        }
    }
}
