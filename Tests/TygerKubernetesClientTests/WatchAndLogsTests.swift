import Foundation
import NIOHTTP1
import Testing
import TygerKit
import TygerKubernetes

@Suite("Watches and logs")
struct WatchAndLogsTests {
    static func event(_ type: String, name: String, resourceVersion: String, data: String = "1") -> String {
        #"{"type":"\#(type)","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","resourceVersion":"\#(resourceVersion)"},"data":{"v":"\#(data)"}}}"#
    }

    @Test func decodesEventsSplitAcrossChunksAndSeveralPerChunk() async throws {
        try await withScriptedServer { server, client in
            let added = Self.event("ADDED", name: "a", resourceVersion: "10")
            let modified = Self.event("MODIFIED", name: "a", resourceVersion: "11", data: "2")
            let deleted = Self.event("DELETED", name: "b", resourceVersion: "12")
            let bookmark =
                #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"13"}}}"#
            let all = [added, modified, deleted, bookmark].joined(separator: "\n") + "\n"
            // Cut everywhere: inside a key, right after a newline, several events in one piece.
            let utf8 = Array(all.utf8)
            let cuts = [7, added.utf8.count + 1, added.utf8.count + 30, utf8.count - 5]
            var pieces: [String] = []
            var start = 0
            for cut in cuts + [utf8.count] {
                pieces.append(String(decoding: utf8[start..<cut], as: UTF8.self))
                start = cut
            }
            server.enqueue(.stream(pieces))

            var events: [WatchEvent<TestPod>] = []
            var configMapEvents: [WatchEvent<TestConfigMap>] = []
            for try await event in client.watch(
                .configMaps, labelSelector: "app=x", resourceVersion: "9", timeoutSeconds: 30, as: TestConfigMap.self)
            {
                configMapEvents.append(event)
            }
            #expect(configMapEvents.map(\.type) == [.added, .modified, .deleted, .bookmark])
            #expect(configMapEvents.map(\.resourceVersion) == ["10", "11", "12", "13"])
            #expect(configMapEvents[1].object?.data == ["v": "2"])
            #expect(configMapEvents[2].object?.metadata.name == "b")

            let request = try #require(server.requests.first)
            #expect(request.path == "/api/v1/namespaces/tyger/configmaps")
            #expect(request.query["watch"] == "true")
            #expect(request.query["resourceVersion"] == "9")
            #expect(request.query["timeoutSeconds"] == "30")
            #expect(request.query["allowWatchBookmarks"] == "true")
            #expect(request.query["labelSelector"] == "app=x")

            // A model with required fields cannot decode a bookmark's object: the event still
            // comes, with its resource version and no object.
            server.enqueue(.stream([bookmark + "\n"]))
            for try await event in client.watch(.pods, allowBookmarks: true, as: TestPod.self) {
                events.append(event)
            }
            #expect(events.count == 1)
            #expect(events.first?.type == .bookmark)
            #expect(events.first?.object == nil)
            #expect(events.first?.resourceVersion == "13")
            #expect(client.metrics.requestsByVerb["watch"] == 2)
        }
    }

    @Test func errorEventWithGoneEndsTheStreamWithATypedError() async throws {
        try await withScriptedServer { server, client in
            let gone =
                #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 9 (120)","reason":"Expired","code":410}}"#
            // The ERROR event arrives in two pieces, cut inside its type.
            #expect(gone.hasPrefix(#"{"type":"ERR"#))
            server.enqueue(
                .stream([
                    Self.event("ADDED", name: "a", resourceVersion: "10") + "\n" + gone.prefix(12),
                    gone.dropFirst(12) + "\n",
                ]))
            var received: [WatchEvent<TestConfigMap>] = []
            let error = await #expect(throws: TygerError.self) {
                for try await event in client.watch(.configMaps, resourceVersion: "9", as: TestConfigMap.self) {
                    received.append(event)
                }
            }
            #expect(received.map(\.type) == [.added])
            let apiError = try #require(error.flatMap { KubernetesAPIError.from($0) })
            #expect(apiError.isGone)
            #expect(apiError.statusCode == 410)
            #expect(apiError.reason == "Expired")
            #expect(apiError.message.contains("too old resource version"))
            #expect(apiError.method == "WATCH")
        }
    }

    @Test func openingAWatchIsRetriedButRefusalIsNot() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(503, reason: "ServiceUnavailable", message: "starting"),
                .stream([Self.event("ADDED", name: "a", resourceVersion: "5") + "\n"]))
            var count = 0
            for try await _ in client.watch(.configMaps, as: TestConfigMap.self) { count += 1 }
            #expect(count == 1)
            #expect(server.requests.count == 2)

            server.enqueue(.status(403, reason: "Forbidden", message: "configmaps is forbidden"))
            let error = await #expect(throws: TygerError.self) {
                for try await _ in client.watch(.configMaps, as: TestConfigMap.self) {}
            }
            #expect(error?.kubernetesAPIError?.statusCode == 403)
            #expect(server.requests.count == 3)
        }
    }

    @Test func malformedEventIsAnError() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(.stream([#"{"type":"ADDED","object":{"metadata":{}}}"# + "\n"]))
            let error = await #expect(throws: TygerError.self) {
                for try await _ in client.watch(.configMaps, as: TestConfigMap.self) {}
            }
            #expect(error?.message.contains("ADDED") == true)
            #expect(error?.message.contains("TestConfigMap") == true)
        }
    }

    @Test func stoppingTheIterationEndsTheWatch() async throws {
        try await withScriptedServer { server, client in
            // Many events, slowly: the consumer leaves after the first.
            let pieces = (0..<50).map { Self.event("ADDED", name: "n\($0)", resourceVersion: "\($0)") + "\n" }
            server.enqueue(.stream(pieces, pause: .milliseconds(50)))
            var first: WatchEvent<TestConfigMap>?
            for try await event in client.watch(.configMaps, as: TestConfigMap.self) {
                first = event
                break
            }
            #expect(first?.object?.metadata.name == "n0")
        }
    }

    @Test func logsStreamLinesAcrossChunks() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .stream(
                    ["first li", "ne\nsecond line\nthi", "rd line\n\nlast without newline"], contentType: "text/plain"))
            var lines: [String] = []
            for try await line in client.logs(pod: "run-1-job-0", container: "main", follow: true, tailLines: 100) {
                lines.append(line)
            }
            #expect(lines == ["first line", "second line", "third line", "", "last without newline"])
            let request = try #require(server.requests.first)
            #expect(request.path == "/api/v1/namespaces/tyger/pods/run-1-job-0/log")
            #expect(request.query["container"] == "main")
            #expect(request.query["follow"] == "true")
            #expect(request.query["tailLines"] == "100")
        }
    }

    @Test func logsErrorIsAnAPIError() async throws {
        try await withScriptedServer { server, client in
            server.enqueue(
                .status(400, reason: "BadRequest", message: #"container \"main\" in pod \"p\" is waiting to start"#))
            let error = await #expect(throws: TygerError.self) {
                for try await _ in client.logs(pod: "p", container: "main") {}
            }
            #expect(error?.kubernetesAPIError?.statusCode == 400)
            #expect(error?.kubernetesAPIError?.message.contains("waiting to start") == true)
            #expect(server.requests.count == 1)
        }
    }
}
