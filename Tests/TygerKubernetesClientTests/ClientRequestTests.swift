import Foundation
import NIOHTTP1
import Synchronization
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

@Suite("Client requests")
struct ClientRequestTests {
    static let configMapJSON = """
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"tyger","resourceVersion":"42"},"data":{"a":"1"}}
        """

    @Test func getSendsBearerTokenAndDecodesJSON() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.json(.ok, Self.configMapJSON))
            let object: TestConfigMap = try await client.get(.configMaps, name: "settings")
            #expect(object.metadata.name == "settings")
            #expect(object.metadata.resourceVersion == "42")
            #expect(object.data == ["a": "1"])

            let request = try #require(server.requests.first)
            #expect(request.method == "GET")
            #expect(request.path == "/api/v1/namespaces/tyger/configmaps/settings")
            #expect(request.header("Authorization") == "Bearer \(distinctiveToken)")
            #expect(request.header("Accept") == "application/json")
            #expect(request.header("User-Agent") == KubernetesConfiguration.defaultUserAgent)
        }
    }

    @Test func noCredentialsSendsNoAuthorization() async throws {
        try await withScriptedServer(credentials: .none) { server, client in
            server.enqueue(.json(.ok, Self.configMapJSON))
            _ = try await client.get(.configMaps, name: "settings", namespace: "elsewhere", as: TestConfigMap.self)
            #expect(server.requests.first?.header("Authorization") == nil)
            #expect(server.requests.first?.path == "/api/v1/namespaces/elsewhere/configmaps/settings")
        }
    }

    @Test func listDecodesItemsAndResourceVersionAndEncodesSelectors() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .json(
                    .ok,
                    """
                    {"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"1234","continue":"next-page"},
                     "items":[\(Self.configMapJSON),\(Self.configMapJSON.replacingOccurrences(of: "settings", with: "other"))]}
                    """),
                .json(
                    .ok, #"{"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"7"},"items":null}"#)
            )
            let list = try await client.list(
                .configMaps, labelSelector: "app=tyger,tier!=db,env in (a,b)", fieldSelector: "metadata.name=settings",
                limit: 2, as: TestConfigMap.self)
            #expect(list.metadata.resourceVersion == "1234")
            #expect(list.metadata.continue == "next-page")
            #expect(list.items.map(\.metadata.name) == ["settings", "other"])
            #expect(list.kind == "ConfigMapList")

            let request = try #require(server.requests.first)
            #expect(request.path == "/api/v1/namespaces/tyger/configmaps")
            #expect(request.query["labelSelector"] == "app=tyger,tier!=db,env in (a,b)")
            #expect(request.query["fieldSelector"] == "metadata.name=settings")
            #expect(request.query["limit"] == "2")
            // Query syntax characters inside values must be escaped.
            #expect(!request.rawQuery.contains("tier!=db"))
            #expect(!request.rawQuery.contains(" "))

            let jobs = try await client.list(.jobs, allNamespaces: true, as: TestConfigMap.self)
            #expect(jobs.items.isEmpty)
            #expect(jobs.metadata.resourceVersion == "7")
            #expect(server.requests.last?.path == "/apis/batch/v1/jobs")
        }
    }

    @Test func clusterScopedAndGroupPaths() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .json(.ok, #"{"metadata":{"name":"tyger"}}"#),
                .json(.ok, #"{"metadata":{"name":"db"}}"#))
            struct Named: Codable, Sendable { struct M: Codable, Sendable { var name: String }; var metadata: M }
            _ = try await client.get(.namespaces, name: "tyger", namespace: "ignored", as: Named.self)
            _ = try await client.get(.statefulSets, name: "db", as: Named.self)
            #expect(
                server.requests.map(\.path) == [
                    "/api/v1/namespaces/tyger", "/apis/apps/v1/namespaces/tyger/statefulsets/db",
                ])
        }
    }

    @Test func statusErrorBecomesKubernetesAPIError() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.status(404, reason: "NotFound", message: #"configmaps \"missing\" not found"#))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.get(.configMaps, name: "missing", as: TestConfigMap.self)
            }
            #expect(error?.code == .backend)
            let apiError = try #require(error?.kubernetesAPIError)
            #expect(apiError.statusCode == 404)
            #expect(apiError.reason == "NotFound")
            #expect(apiError.message == #"configmaps "missing" not found"#)
            #expect(apiError.isNotFound)
            #expect(!apiError.isConflict && !apiError.isGone && !apiError.isAlreadyExists)
            #expect(apiError.status?.status == "Failure")
            #expect(apiError.method == "GET")
            #expect(apiError.path == "/api/v1/namespaces/tyger/configmaps/missing")
            #expect(error?.message.contains("404") == true)
            #expect(apiError.tygerError.code == .backend)
            #expect(apiError.tygerError.underlying is KubernetesAPIError)
            #expect(server.requests.count == 1)
        }
    }

    @Test(arguments: [
        (400, "BadRequest"), (403, "Forbidden"), (404, "NotFound"), (409, "Conflict"), (409, "AlreadyExists"),
        (422, "Invalid"),
    ])
    func clientErrorsAreNotRetried(code: Int, reason: String) async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.status(code, reason: reason, message: "no"), .json(.ok, Self.configMapJSON))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.replace(
                    .configMaps, name: "settings", object: TestConfigMap(metadata: .init(name: "settings")))
            }
            #expect(server.requests.count == 1)
            let apiError = try #require(error?.kubernetesAPIError)
            #expect(apiError.statusCode == code)
            #expect(apiError.isConflict == (reason == "Conflict"))
            #expect(apiError.isAlreadyExists == (reason == "AlreadyExists"))
            #expect(client.metrics.failures == 1)
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(429, reason: "TooManyRequests", message: "slow down", headers: [("Retry-After", "1")]),
                .json(.ok, Self.configMapJSON))
            let started = ContinuousClock.now
            let object = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            let elapsed = ContinuousClock.now - started
            #expect(object.metadata.name == "settings")
            #expect(server.requests.count == 2)
            // The policy's own delay is a few milliseconds: waiting about a second is Retry-After's doing.
            #expect(elapsed >= .milliseconds(900))
        }
    }

    @Test func serverErrorsAreRetriedForIdempotentCalls() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(500, reason: "InternalError", message: "etcd hiccup"),
                .status(503, reason: "ServiceUnavailable", message: "busy"),
                .json(.badGateway, "<html>bad gateway</html>"),
                .json(.gatewayTimeout, "timeout"),
                .json(.ok, Self.configMapJSON))
            let object: TestConfigMap = try await client.patch(
                .configMaps, name: "settings", mergePatch: Data(#"{"data":{"a":"2"}}"#.utf8))
            #expect(object.metadata.name == "settings")
            #expect(server.requests.count == 5)
            #expect(server.requests.allSatisfy { $0.method == "PATCH" && $0.bodyText == #"{"data":{"a":"2"}}"# })
            #expect(server.requests.first?.header("Content-Type") == "application/merge-patch+json")
            let metrics = client.metrics
            #expect(metrics.requests == 5)
            #expect(metrics.retries == 4)
            #expect(metrics.requestsByVerb["patch"] == 5)
            #expect(metrics.failures == 0)
        }
    }

    @Test func retriesStopAtMaximumAttempts() async throws {
        let policy = RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2))
        try await withScriptedServer(retryPolicy: policy) { server, client in
            for _ in 0..<5 { server.enqueue(.status(503, reason: "ServiceUnavailable", message: "busy")) }
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            }
            #expect(error?.kubernetesAPIError?.statusCode == 503)
            #expect(server.requests.count == 3)
        }
    }

    @Test func postIsNotRetriedAfterAServerError() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(500, reason: "InternalError", message: "maybe created"), .json(.created, Self.configMapJSON))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.create(.configMaps, object: TestConfigMap(metadata: .init(name: "settings")))
            }
            #expect(error?.kubernetesAPIError?.statusCode == 500)
            #expect(server.requests.count == 1)
        }
    }

    @Test func postIsNotRetriedWhenTheConnectionDropsAfterSending() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.dropConnection, .json(.created, Self.configMapJSON))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.create(.configMaps, object: TestConfigMap(metadata: .init(name: "settings")))
            }
            #expect(error?.kubernetesAPIError == nil)
            #expect(error?.message.contains("POST /api/v1/namespaces/tyger/configmaps") == true)
            #expect(server.requests.count == 1)
        }
    }

    @Test func getIsRetriedWhenTheConnectionDrops() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.dropConnection, .json(.ok, Self.configMapJSON))
            let object = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            #expect(object.metadata.name == "settings")
            #expect(server.requests.count == 2)
        }
    }

    @Test(arguments: [429, 503])
    func postIsRetriedWhenTheServerDidNothing(code: Int) async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(code, reason: "TooManyRequests", message: "later"), .json(.created, Self.configMapJSON))
            let created = try await client.create(
                .configMaps, object: TestConfigMap(metadata: .init(name: "settings"), data: ["a": "1"]))
            #expect(created.metadata.resourceVersion == "42")
            #expect(server.requests.count == 2)
            let request = try #require(server.requests.last)
            #expect(request.method == "POST")
            #expect(request.path == "/api/v1/namespaces/tyger/configmaps")
            #expect(request.header("Content-Type") == "application/json")
            let sent = try JSONDecoder().decode(TestConfigMap.self, from: Data(request.body))
            #expect(sent.metadata.name == "settings")
            #expect(sent.data == ["a": "1"])
        }
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        // A port that was just free: nothing listens there.
        let server = ScriptedHTTPServer()
        let port = try await server.start()
        await server.stop()
        let attempts = Mutex(0)
        let policy = RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2))
        let client = try makeClient(
            port: port, retryPolicy: policy,
            observer: { record in
                attempts.withLock { $0 += 1 }
                #expect(record.statusCode == nil)
                #expect(record.failure != nil)
            })
        let error = await #expect(throws: TygerError.self) {
            // Even a POST: nothing was sent when no connection could be made.
            _ = try await client.create(.configMaps, object: TestConfigMap(metadata: .init(name: "x")))
        }
        try await client.shutdown()
        #expect(attempts.withLock { $0 } == 3)
        #expect(error?.code == .backend)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(client.metrics.requests == 3)
        #expect(client.metrics.failures == 1)
    }

    @Test func deleteSendsDeleteOptionsAndTreatsNotFoundAsFalse() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .json(.ok, #"{"kind":"Status","apiVersion":"v1","status":"Success"}"#),
                .status(404, reason: "NotFound", message: "gone"),
                .status(403, reason: "Forbidden", message: "no"))
            #expect(try await client.delete(.jobs, name: "run-1") == true)
            #expect(try await client.delete(.jobs, name: "run-1", propagationPolicy: .foreground) == false)
            await #expect(throws: TygerError.self) { try await client.delete(.jobs, name: "run-1") }

            let first = try #require(server.requests.first)
            #expect(first.method == "DELETE")
            #expect(first.path == "/apis/batch/v1/namespaces/tyger/jobs/run-1")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any])
            #expect(body["kind"] as? String == "DeleteOptions")
            #expect(body["apiVersion"] as? String == "v1")
            #expect(body["propagationPolicy"] as? String == "Background")
            #expect(server.requests[1].bodyText.contains(#""propagationPolicy":"Foreground""#))
        }
    }

    @Test func patchWithEncodableAndReplaceWithPUT() async throws {
        struct LabelPatch: Encodable, Sendable {
            struct Metadata: Encodable, Sendable { var labels: [String: String] }
            var metadata: Metadata
        }
        try await withScriptedServer { server, client in
            server.enqueue(.json(.ok, Self.configMapJSON), .json(.ok, Self.configMapJSON))
            let patched = try await client.patch(
                .configMaps, name: "settings", mergePatch: LabelPatch(metadata: .init(labels: ["x": "y"])),
                as: TestConfigMap.self)
            #expect(patched.metadata.name == "settings")
            let replaced = try await client.replace(
                .configMaps, name: "settings",
                object: TestConfigMap(metadata: .init(name: "settings", resourceVersion: "41")))
            #expect(replaced.metadata.resourceVersion == "42")
            #expect(server.requests.map(\.method) == ["PATCH", "PUT"])
            #expect(server.requests[0].bodyText == #"{"metadata":{"labels":{"x":"y"}}}"#)
            #expect(server.requests[1].bodyText.contains(#""resourceVersion":"41""#))
        }
    }

    @Test func undecodableAnswerIsAnErrorNamingTheType() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.json(.ok, #"{"metadata":{"nom":"x"}}"#))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            }
            #expect(error?.message.contains("TestConfigMap") == true)
            #expect(error?.message.contains("name") == true)
        }
    }

    @Test func rotatedTokenFileIsReadAgain() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The kubelet's layout for projected tokens: token -> ..data/token, ..data -> ..v1.
        let fileManager = FileManager.default
        try dir.write("..v1/token", "first-token\n")
        try fileManager.createSymbolicLink(
            atPath: dir.url.appendingPathComponent("..data").path, withDestinationPath: "..v1")
        let tokenPath = dir.url.appendingPathComponent("token").path
        try fileManager.createSymbolicLink(atPath: tokenPath, withDestinationPath: "..data/token")

        try await withScriptedServer(credentials: .tokenFile(tokenPath)) { server, client in
            server.enqueue(
                .json(.ok, Self.configMapJSON), .json(.ok, Self.configMapJSON), .json(.ok, Self.configMapJSON))
            _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            // Rotation: a new folder, and ..data swapped to it.
            try dir.write("..v2/token", "second-token\n")
            try fileManager.removeItem(atPath: dir.url.appendingPathComponent("..data").path)
            try fileManager.createSymbolicLink(
                atPath: dir.url.appendingPathComponent("..data").path, withDestinationPath: "..v2")
            _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            #expect(
                server.requests.map { $0.header("Authorization") } == [
                    "Bearer first-token", "Bearer second-token", "Bearer second-token",
                ])
        }
    }

    @Test func unauthorizedWithATokenFileRereadsItOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tokenPath = try dir.write("token", "stale")
        try await withScriptedServer(credentials: .tokenFile(tokenPath)) { server, client in
            server.enqueue(
                .status(401, reason: "Unauthorized", message: "Unauthorized"),
                .status(401, reason: "Unauthorized", message: "Unauthorized"),
                .json(.ok, Self.configMapJSON))
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            }
            #expect(error?.kubernetesAPIError?.isUnauthorized == true)
            #expect(server.requests.count == 2, "one re-read after the first 401, then give up")
        }
    }

    @Test func observerSeesEveryAttempt() async throws {
        let records = Mutex<[KubernetesClient.RequestRecord]>([])
        let server = ScriptedHTTPServer()
        let port = try await server.start()
        server.enqueue(.status(503, reason: "ServiceUnavailable", message: "busy"), .json(.ok, Self.configMapJSON))
        let client = try makeClient(port: port, observer: { record in records.withLock { $0.append(record) } })
        _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
        try await client.shutdown()
        await server.stop()
        let seen = records.withLock { $0 }
        #expect(seen.map(\.statusCode) == [503, 200])
        #expect(seen.map(\.attempt) == [1, 2])
        #expect(seen.map(\.willRetry) == [true, false])
        #expect(
            seen.allSatisfy {
                $0.verb == "get" && $0.method == "GET" && $0.path == "/api/v1/namespaces/tyger/configmaps/settings"
            })
    }

    @Test func requestCounterCountsOnlyTheBoundTask() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(503, reason: "ServiceUnavailable", message: "busy"), .json(.ok, Self.configMapJSON),
                .stream([WatchAndLogsTests.event("ADDED", name: "a", resourceVersion: "1") + "\n"]),
                .json(.ok, Self.configMapJSON))
            let counter = KubernetesClient.RequestCounter()
            try await KubernetesClient.$requestCounter.withValue(counter) {
                _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
                for try await _ in client.watch(.configMaps, as: TestConfigMap.self) {}
            }
            _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            #expect(counter.metrics.requests == 3)
            #expect(counter.metrics.retries == 1)
            #expect(counter.metrics.requestsByVerb == ["get": 2, "watch": 1])
            #expect(client.metrics.requests == 4)
        }
    }

    @Test func withKubernetesClientRunsTheBodyAndShutsDown() async throws {
        let server = ScriptedHTTPServer()
        let port = try await server.start()
        defer { Task { await server.stop() } }
        server.enqueue(.json(.ok, Self.configMapJSON))
        let configuration = KubernetesConfiguration(
            server: try testURL("http://127.0.0.1:\(port)"), namespace: "tyger")
        let name = try await withKubernetesClient(configuration: configuration) { client in
            try await client.get(.configMaps, name: "settings", as: TestConfigMap.self).metadata.name
        }
        #expect(name == "settings")
    }
}
