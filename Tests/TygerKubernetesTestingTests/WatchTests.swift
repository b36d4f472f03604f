import Foundation
import Testing
import TygerKubernetesTesting

@Suite struct WatchTests {
    @Test func watchFromZeroListsThenStreams() async throws {
        try await withServer { _, http in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("before"))
            let watch = try await http.stream(Fixtures.configMaps + "?watch=true&resourceVersion=0")
            defer { watch.close() }
            #expect(watch.status == 200)
            #expect(watch.headers["transfer-encoding"] == "chunked")
            let initial = try #require(await watch.nextEvent())
            #expect(initial["type"] == "ADDED")
            #expect(initial["object"]?.name == "before")

            let created = try await http.post(Fixtures.configMaps, Fixtures.configMap("live"))
            let added = try #require(await watch.nextEvent())
            #expect(added["type"] == "ADDED")
            #expect(added["object"]?.name == "live")
            #expect(added[path: ["object", "kind"]] == "ConfigMap")

            _ = try await http.patch(Fixtures.configMaps + "/live", ["data": ["k": "v"]])
            let modified = try #require(await watch.nextEvent())
            #expect(modified["type"] == "MODIFIED")
            #expect(Int(modified["object"]?.resourceVersion ?? "") ?? 0 > Int(created.json.resourceVersion) ?? .max)

            _ = try await http.delete(Fixtures.configMaps + "/live")
            let deleted = try #require(await watch.nextEvent())
            #expect(deleted["type"] == "DELETED")
            #expect(deleted["object"]?.name == "live")
        }
    }

    @Test func watchResumesFromAResourceVersion() async throws {
        try await withServer { _, http in
            let first = try await http.post(Fixtures.configMaps, Fixtures.configMap("one"))
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("two"))
            _ = try await http.delete(Fixtures.configMaps + "/one")
            let watch = try await http.stream(
                Fixtures.configMaps + "?watch=1&resourceVersion=\(first.json.resourceVersion)")
            defer { watch.close() }
            let replayed = [await watch.nextEvent(), await watch.nextEvent()]
            #expect(replayed.map { $0?["type"] } == ["ADDED", "DELETED"])
            #expect(replayed.map { $0?["object"]?.name } == ["two", "one"])
            #expect(await watch.next(timeout: .milliseconds(200)) == nil, "nothing before 'one' is replayed")
        }
    }

    @Test func bookmarks() async throws {
        try await withServer({ $0.bookmarkInterval = .milliseconds(100) }) { server, http in
            let watch = try await http.stream(
                Fixtures.configMaps + "?watch=true&resourceVersion=\(server.resourceVersion)&allowWatchBookmarks=true")
            defer { watch.close() }
            let bookmark = try #require(await watch.nextEvent(timeout: .seconds(30)))
            #expect(bookmark["type"] == "BOOKMARK")
            #expect(bookmark[path: ["object", "kind"]] == "ConfigMap")
            #expect(bookmark[path: ["object", "apiVersion"]] == "v1")
            #expect(bookmark[path: ["object", "metadata", "resourceVersion"]] == .string(String(server.resourceVersion)))

            let plain = try await http.stream(Fixtures.configMaps + "?watch=true&resourceVersion=\(server.resourceVersion)")
            defer { plain.close() }
            #expect(await plain.next(timeout: .milliseconds(400)) == nil, "no bookmarks unless asked for")
        }
    }

    @Test func sendInitialEventsEndsWithABookmark() async throws {
        try await withServer { _, http in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("existing"))
            let watch = try await http.stream(
                Fixtures.configMaps
                    + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
            defer { watch.close() }
            #expect(await watch.nextEvent()?["type"] == "ADDED")
            let end = try #require(await watch.nextEvent())
            #expect(end["type"] == "BOOKMARK")
            #expect(end[path: ["object", "metadata", "annotations", "k8s.io/initial-events-end"]] == "true")
        }
    }

    @Test func timeoutSecondsEndsTheStream() async throws {
        try await withServer { _, http in
            let started = ContinuousClock.now
            let watch = try await http.stream(Fixtures.configMaps + "?watch=true&timeoutSeconds=1")
            defer { watch.close() }
            #expect(await watch.waitForEnd(timeout: .seconds(30)))
            #expect(ContinuousClock.now - started >= .milliseconds(900))
        }
    }

    @Test func expiredHistoryAnswersGone() async throws {
        try await withServer { server, http in
            let old = try await http.post(Fixtures.configMaps, Fixtures.configMap("old"))
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("newer"))
            server.faults.expireHistory()

            let watch = try await http.stream(Fixtures.configMaps + "?watch=true&resourceVersion=\(old.json.resourceVersion)")
            defer { watch.close() }
            #expect(watch.status == 200)
            let error = try #require(await watch.nextEvent())
            #expect(error["type"] == "ERROR")
            #expect(error[path: ["object", "kind"]] == "Status")
            #expect(error[path: ["object", "code"]] == 410)
            #expect(error[path: ["object", "reason"]] == "Expired")
            #expect(await watch.waitForEnd())

            // A fresh list's resourceVersion can be watched from again.
            let list = try await http.get(Fixtures.configMaps)
            let version = try #require(list.json[path: ["metadata", "resourceVersion"]]?.stringValue)
            let again = try await http.stream(Fixtures.configMaps + "?watch=true&resourceVersion=\(version)")
            defer { again.close() }
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("after"))
            #expect(await again.nextEvent()?["type"] == "ADDED")
        }
    }

    @Test func historyIsBounded() async throws {
        try await withServer({ $0.watchHistoryLimit = 3 }) { _, http in
            let first = try await http.post(Fixtures.configMaps, Fixtures.configMap("c0"))
            for index in 1..<6 { _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("c\(index)")) }
            let watch = try await http.stream(Fixtures.configMaps + "?watch=true&resourceVersion=\(first.json.resourceVersion)")
            defer { watch.close() }
            #expect(await watch.nextEvent()?[path: ["object", "code"]] == 410)
        }
    }

    @Test func dropWatchesEndsOpenStreams() async throws {
        try await withServer { server, http in
            let one = try await http.stream(Fixtures.configMaps + "?watch=true")
            let two = try await http.stream(Fixtures.pods + "?watch=true")
            defer {
                one.close()
                two.close()
            }
            server.faults.dropWatches()
            #expect(await one.waitForEnd())
            #expect(await two.waitForEnd())
            #expect(try await http.get(Fixtures.configMaps).status == 200, "the server still answers")
        }
    }

    @Test func selectorsTurnChangesIntoAddsAndDeletes() async throws {
        try await withServer { _, http in
            let watch = try await http.stream(Fixtures.configMaps + "?watch=true&labelSelector=app%3Dweb")
            defer { watch.close() }
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("other"))
            _ = try await http.patch(Fixtures.configMaps + "/other", ["metadata": ["labels": ["app": "web"]]])
            let entered = try #require(await watch.nextEvent())
            #expect(entered["type"] == "ADDED", "an object entering the selection is ADDED")
            _ = try await http.patch(Fixtures.configMaps + "/other", ["metadata": ["labels": ["app": "db"]]])
            let left = try #require(await watch.nextEvent())
            #expect(left["type"] == "DELETED", "an object leaving the selection is DELETED")

            let byName = try await http.stream(Fixtures.configMaps + "?watch=true&fieldSelector=metadata.name%3Dx")
            defer { byName.close() }
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("y"))
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("x"))
            #expect(await byName.nextEvent()?["object"]?.name == "x")
        }
    }

    @Test func closingTheClientEndsTheWatchOnTheServer() async throws {
        try await withServer { server, http in
            let watch = try await http.stream(Fixtures.configMaps + "?watch=true")
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("a"))
            #expect(await watch.nextEvent() != nil)
            watch.close()
            // Writes after the client left must not wedge the server.
            for index in 0..<20 { _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("b\(index)")) }
            #expect(server.objects("configmaps", namespace: "tyger").count == 21)
        }
    }
}
