import Foundation
import Testing
import TygerKubernetesTesting

@Suite struct DiscoveryTests {
    @Test func versionAndGroups() async throws {
        try await withServer { _, http in
            let version = try await http.get("/version")
            #expect(version.status == 200)
            #expect(version.json["major"] == "1")
            #expect(version.json["gitVersion"]?.stringValue?.hasPrefix("v1.") == true)

            let api = try await http.get("/api")
            #expect(api.json["kind"] == "APIVersions")
            #expect(api.json["versions"] == ["v1"])

            let groups = try await http.get("/apis")
            #expect(groups.json["kind"] == "APIGroupList")
            let versions = groups.json["groups"]?.arrayValue?.compactMap { $0[path: ["preferredVersion", "groupVersion"]]?.stringValue }
            #expect(Set(versions ?? []) == ["batch/v1", "apps/v1"])

            #expect(try await http.get("/openapi/v2").status == 404)
            #expect(try await http.get("/openapi/v3").status == 404)
        }
    }

    @Test func resourceLists() async throws {
        try await withServer { _, http in
            let core = try await http.get("/api/v1").json
            #expect(core["kind"] == "APIResourceList")
            #expect(core["groupVersion"] == "v1")
            let resources = core["resources"]?.arrayValue ?? []
            let configMaps = try #require(resources.first { $0["name"] == "configmaps" })
            #expect(configMaps["singularName"] == "configmap")
            #expect(configMaps["namespaced"] == true)
            #expect(configMaps["kind"] == "ConfigMap")
            #expect(configMaps["shortNames"] == ["cm"])
            #expect(configMaps["verbs"]?.arrayValue?.contains("watch") == true)
            #expect(resources.contains { $0["name"] == "pods/log" })
            #expect(resources.first { $0["name"] == "pods" }?["shortNames"] == ["po"])
            #expect(resources.first { $0["name"] == "services" }?["shortNames"] == ["svc"])
            #expect(resources.first { $0["name"] == "namespaces" }?["namespaced"] == false)

            let apps = try await http.get("/apis/apps/v1").json
            let sets = try #require(apps["resources"]?.arrayValue?.first { $0["name"] == "statefulsets" })
            #expect(sets["shortNames"] == ["sts"])
            #expect(sets["kind"] == "StatefulSet")
            let batch = try await http.get("/apis/batch/v1").json
            #expect(batch["resources"]?.arrayValue?.contains { $0["name"] == "jobs" && $0["kind"] == "Job" } == true)
            #expect(try await http.get("/apis/extensions/v1beta1").status == 404)
        }
    }
}

@Suite struct CRUDTests {
    @Test func configMapLifecycle() async throws {
        try await withServer { _, http in
            let created = try await http.post(Fixtures.configMaps, Fixtures.configMap("settings", data: ["a": "1"]))
            #expect(created.status == 201)
            let uid = try #require(created.json.uid.isEmpty ? nil : created.json.uid)
            let firstVersion = try #require(Int(created.json.resourceVersion))
            #expect(created.json[path: ["metadata", "creationTimestamp"]]?.stringValue?.hasSuffix("Z") == true)
            #expect(created.json[path: ["metadata", "namespace"]] == "tyger")

            let fetched = try await http.get(Fixtures.configMaps + "/settings")
            #expect(fetched.status == 200)
            #expect(fetched.json[path: ["data", "a"]] == "1")

            var changed = fetched.json
            changed[path: ["data", "a"]] = "2"
            let updated = try await http.put(Fixtures.configMaps + "/settings", changed)
            #expect(updated.status == 200)
            #expect(try #require(Int(updated.json.resourceVersion)) > firstVersion)
            #expect(updated.json.uid == uid)

            let patched = try await http.patch(Fixtures.configMaps + "/settings", ["data": ["b": "3", "a": .null]])
            #expect(patched.status == 200)
            #expect(patched.json["data"] == ["b": "3"])

            let list = try await http.get(Fixtures.configMaps)
            #expect(list.json["kind"] == "ConfigMapList")
            #expect(list.json["apiVersion"] == "v1")
            #expect(list.json[path: ["metadata", "resourceVersion"]]?.stringValue != nil)
            #expect(list.json["items"]?.arrayValue?.map(\.name) == ["settings"])

            let deleted = try await http.delete(Fixtures.configMaps + "/settings")
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"] == "Status")
            #expect(deleted.json["status"] == "Success")
            #expect(try await http.get(Fixtures.configMaps + "/settings").status == 404)
        }
    }

    @Test func resourceVersionsIncreaseAcrossResources() async throws {
        try await withServer { _, http in
            var versions: [Int] = []
            for index in 0..<3 {
                let response = try await http.post(Fixtures.configMaps, Fixtures.configMap("c\(index)"))
                versions.append(Int(response.json.resourceVersion) ?? -1)
            }
            let service = try await http.post(
                Fixtures.services, ["metadata": ["name": "svc"], "spec": ["ports": [["port": 80]]]])
            versions.append(Int(service.json.resourceVersion) ?? -1)
            #expect(versions == versions.sorted() && Set(versions).count == versions.count, "\(versions)")
            #expect(service.json[path: ["spec", "clusterIP"]]?.stringValue?.hasPrefix("10.96.") == true)
        }
    }

    @Test func notFoundIsAStatus() async throws {
        try await withServer { _, http in
            let response = try await http.get(Fixtures.configMaps + "/nope")
            #expect(response.status == 404)
            let status = response.json
            #expect(status["kind"] == "Status")
            #expect(status["apiVersion"] == "v1")
            #expect(status["status"] == "Failure")
            #expect(status["reason"] == "NotFound")
            #expect(status["code"] == 404)
            #expect(status["message"] == "configmaps \"nope\" not found")
            #expect(status["details"] == ["name": "nope", "kind": "configmaps"])

            let job = try await http.get(Fixtures.jobs + "/nope")
            #expect(job.json["message"] == "jobs.batch \"nope\" not found")
            #expect(job.json[path: ["details", "group"]] == "batch")

            let namespace = try await http.post("/api/v1/namespaces/missing/configmaps", Fixtures.configMap("x"))
            #expect(namespace.status == 404)
            #expect(namespace.json["message"] == "namespaces \"missing\" not found")
        }
    }

    @Test func alreadyExistsAndConflict() async throws {
        try await withServer { _, http in
            let first = try await http.post(Fixtures.configMaps, Fixtures.configMap("dup"))
            let second = try await http.post(Fixtures.configMaps, Fixtures.configMap("dup"))
            #expect(second.status == 409)
            #expect(second.json["reason"] == "AlreadyExists")
            #expect(second.json["message"] == "configmaps \"dup\" already exists")

            var stale = first.json
            stale[path: ["data", "x"]] = "1"
            #expect(try await http.put(Fixtures.configMaps + "/dup", stale).status == 200)
            stale[path: ["data", "x"]] = "2"
            let conflict = try await http.put(Fixtures.configMaps + "/dup", stale)
            #expect(conflict.status == 409)
            #expect(conflict.json["reason"] == "Conflict")
            #expect(conflict.json["message"]?.stringValue?.contains("the object has been modified") == true)

            // A merge patch carrying a stale resourceVersion is a precondition and conflicts too.
            let patch = try await http.patch(
                Fixtures.configMaps + "/dup", ["metadata": ["resourceVersion": .string(first.json.resourceVersion)]])
            #expect(patch.status == 409)
        }
    }

    @Test func invalidObjectsGet422() async throws {
        try await withServer { _, http in
            let badName = try await http.post(Fixtures.configMaps, Fixtures.configMap("Run_42"))
            #expect(badName.status == 422)
            #expect(badName.json["reason"] == "Invalid")
            #expect(badName.json[path: ["details", "kind"]] == "ConfigMap")
            #expect(badName.json[path: ["details", "causes"]]?[0]?["field"] == "metadata.name")
            #expect(badName.json["message"]?.stringValue?.hasPrefix("ConfigMap \"Run_42\" is invalid: metadata.name: Invalid value") == true)

            let noName = try await http.post(Fixtures.configMaps, ["metadata": [:]])
            #expect(noName.status == 422)
            #expect(noName.json["message"]?.stringValue?.contains("name or generateName is required") == true)

            let job = Fixtures.job("bad", ["exit", "0"])
            var always = job
            always[path: ["spec", "template", "spec", "restartPolicy"]] = "Always"
            let restart = try await http.post(Fixtures.jobs, always)
            #expect(restart.status == 422)
            #expect(restart.json["message"]?.stringValue?.contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\"") == true)

            var noImage = Fixtures.pod("noimage", ["exit", "0"])
            noImage[path: ["spec", "containers"]] = [["name": "c"]]
            let image = try await http.post(Fixtures.pods, noImage)
            #expect(image.status == 422)
            #expect(image.json["message"]?.stringValue?.contains("spec.containers[0].image: Required value") == true)
        }
    }

    @Test func generateName() async throws {
        try await withServer { _, http in
            let response = try await http.post(Fixtures.configMaps, ["metadata": ["generateName": "run-"], "data": [:]])
            #expect(response.status == 201)
            let name = response.json.name
            #expect(name.hasPrefix("run-") && name.count == 9, "\(name)")
        }
    }

    @Test func labelSelectors() async throws {
        try await withServer { _, http in
            for (name, labels) in [
                ("a", ["app": "web", "tier": "front"]), ("b", ["app": "web", "tier": "back"]), ("c", ["app": "db"]),
                ("d", [:]),
            ] {
                _ = try await http.post(Fixtures.configMaps, Fixtures.configMap(name, labels: labels))
            }
            func names(_ selector: String) async throws -> [String] {
                let escaped = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector
                let list = try await http.get(Fixtures.configMaps + "?labelSelector=" + escaped)
                return list.json["items"]?.arrayValue?.map(\.name) ?? []
            }
            #expect(try await names("app=web") == ["a", "b"])
            #expect(try await names("app==web,tier=back") == ["b"])
            #expect(try await names("app!=web") == ["c", "d"])
            #expect(try await names("tier in (front,back)") == ["a", "b"])
            #expect(try await names("app notin (web)") == ["c", "d"])
            #expect(try await names("tier") == ["a", "b"])
            #expect(try await names("!tier") == ["c", "d"])
            let bad = try await http.get(Fixtures.configMaps + "?labelSelector=" + "a%20in%20(x".replacingOccurrences(of: "(", with: "%28"))
            #expect(bad.status == 400)
        }
    }

    @Test func fieldSelectorsAndAllNamespaces() async throws {
        try await withServer { _, http in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("one"))
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("two"))
            _ = try await http.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("one"))
            let byName = try await http.get(Fixtures.configMaps + "?fieldSelector=metadata.name%3Dtwo")
            #expect(byName.json["items"]?.arrayValue?.map(\.name) == ["two"])
            let all = try await http.get("/api/v1/configmaps?fieldSelector=metadata.name%3Done")
            #expect(all.json["items"]?.arrayValue?.map(\.namespace) == ["default", "tyger"])
            let inDefault = try await http.get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddefault")
            #expect(inDefault.json["items"]?.arrayValue?.count == 1)
            #expect(try await http.get(Fixtures.configMaps + "?fieldSelector=data.x%3D1").status == 400)
        }
    }

    @Test func pagination() async throws {
        try await withServer { _, http in
            for index in 0..<5 { _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("cm\(index)")) }
            let first = try await http.get(Fixtures.configMaps + "?limit=2")
            #expect(first.json["items"]?.arrayValue?.map(\.name) == ["cm0", "cm1"])
            #expect(first.json[path: ["metadata", "remainingItemCount"]] == 3)
            let token = try #require(first.json[path: ["metadata", "continue"]]?.stringValue)
            let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let second = try await http.get(Fixtures.configMaps + "?limit=10&continue=" + encoded)
            #expect(second.json["items"]?.arrayValue?.map(\.name) == ["cm2", "cm3", "cm4"])
            #expect(second.json[path: ["metadata", "continue"]] == nil)
        }
    }

    @Test func strategicMergeAndJSONPatch() async throws {
        try await withServer { _, http in
            var pod = Fixtures.pod("patched", ["sleep", "100"])
            pod[path: ["spec", "containers"]] = [
                Fixtures.container(["sleep", "100"], name: "a"), Fixtures.container(["sleep", "100"], name: "b"),
            ]
            _ = try await http.post(Fixtures.pods, pod)
            // Strategic merge: containers merge by name, so only b's image changes.
            let strategic = try await http.patch(
                Fixtures.pods + "/patched", ["spec": ["containers": [["name": "b", "image": "new:2"]]]],
                type: "application/strategic-merge-patch+json")
            #expect(strategic.status == 200)
            let containers = strategic.json[path: ["spec", "containers"]]?.arrayValue ?? []
            #expect(containers.map { $0["name"] } == ["a", "b"])
            #expect(containers.map { $0["image"] } == ["tyger-conformance:test", "new:2"])

            // The same body as a merge patch replaces the list, which a pod update forbids.
            let merge = try await http.patch(
                Fixtures.pods + "/patched", ["spec": ["containers": [["name": "b", "image": "new:3"]]]])
            #expect(merge.status == 422)

            let jsonPatch = try await http.patch(
                Fixtures.pods + "/patched",
                [["op": "add", "path": "/metadata/labels", "value": ["x": "y"]]], type: "application/json-patch+json")
            #expect(jsonPatch.status == 200)
            #expect(jsonPatch.json.labels == ["x": "y"])
            #expect(try await http.patch(Fixtures.pods + "/patched", ["a": 1], type: "text/plain").status == 415)
        }
    }

    @Test func serverSideApply() async throws {
        try await withServer { _, http in
            let path = Fixtures.configMaps + "/applied?fieldManager=test"
            let created = try await http.send(
                "PATCH", path, body: Fixtures.configMap("applied", data: ["a": "1"]).serialized,
                contentType: "application/apply-patch+yaml")
            #expect(created.status == 201)
            let yaml = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied
                data:
                  b: "2"   # a comment
                """
            let updated = try await http.send("PATCH", path, body: yaml, contentType: "application/apply-patch+yaml")
            #expect(updated.status == 200, "\(updated)")
            // The manager applied `a` before and leaves it out now, so it goes.
            #expect(updated.json["data"] == ["b": "2"])

            // Another manager's fields are merged in and survive this manager's next apply.
            let other = try await http.send(
                "PATCH", Fixtures.configMaps + "/applied?fieldManager=other",
                body: Fixtures.configMap("applied", data: ["c": "3"]).serialized, contentType: "application/apply-patch+yaml")
            #expect(other.json["data"] == ["b": "2", "c": "3"])
            let again = try await http.send("PATCH", path, body: yaml, contentType: "application/apply-patch+yaml")
            #expect(again.json["data"] == ["b": "2", "c": "3"])
            let noManager = try await http.send(
                "PATCH", Fixtures.configMaps + "/applied", body: Fixtures.configMap("applied").serialized,
                contentType: "application/apply-patch+yaml")
            #expect(noManager.status == 422)
        }
    }

    @Test func statusSubresource() async throws {
        try await withServer({ $0.runsWorkloadControllers = false }) { _, http in
            let job = try await http.post(Fixtures.jobs, Fixtures.job("s", ["exit", "0"]))
            var withStatus = job.json
            withStatus["status"] = ["active": 5]
            // The main resource ignores status; the subresource only changes status.
            let main = try await http.put(Fixtures.jobs + "/s", withStatus)
            #expect(main.json[path: ["status", "active"]] == nil)
            let status = try await http.patch(Fixtures.jobs + "/s/status", ["status": ["active": 5], "spec": ["parallelism": 9]])
            #expect(status.json[path: ["status", "active"]] == 5)
            #expect(status.json[path: ["spec", "parallelism"]] == 1)
        }
    }
}
