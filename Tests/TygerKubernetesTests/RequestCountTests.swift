import Foundation
import Testing
import TygerKit
import TygerKubernetes
import TygerKubernetesTesting

/// The API requests one run makes, by verb, so their number stays known and constant.
@Suite struct RequestCountTests {
    private func run(workers: Int) -> RunSpec {
        RunSpec(
            job: JobTarget(
                codespec: .inline(Codespec(image: "c", command: ["tyger-conformance"], args: ["job-discovery", "rpc"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "c", command: ["tyger-conformance"], args: ["worker"],
                        endpoints: [Endpoint(name: "rpc", port: 9002)])),
                replicas: workers))
    }

    private func summary(_ requests: [RecordedRequest]) -> [String: Int] {
        requests.reduce(into: [:]) { counts, request in
            let verb = request.isWatch ? "WATCH" : request.method
            counts[verb, default: 0] += 1
        }
    }

    @Test(arguments: [3, 30])
    func oneRunFromCreateToTheEnd(_ workers: Int) async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            // The namespace's first run also creates the run counter; measure a later one.
            _ = try await client.waitUntilTerminal(try await client.createRun(run(workers: 1)).id)
            server.clearRequests()
            let created = try await client.createRun(run(workers: workers))
            let submit = summary(server.requests)
            server.clearRequests()
            let final = try await client.waitUntilTerminal(created.id)
            #expect(final.status == .succeeded)
            let follow = summary(server.requests)
            print("requests for a run with \(workers) workers: submit \(submit), follow to the end \(follow)")
            #expect(submit == ["GET": 1, "PUT": 1, "POST": 4])
            #expect(follow["POST", default: 0] == 0 && follow["PUT", default: 0] == 0)
            #expect(follow["DELETE"] == 2, "the StatefulSet and the Service")
            #expect(follow["PATCH"] == 1, "the final status in the record")
            // Reads, twice (the backend's supervisor and this follower each watch the run): the
            // snapshot, one list and one watch per followed resource, and the checks that the
            // pods stopped; none of them depends on the replica count.
            #expect(follow["GET", default: 0] <= 18, "\(follow)")
            #expect(follow["WATCH", default: 0] <= 8, "\(follow)")
        }
    }
}
