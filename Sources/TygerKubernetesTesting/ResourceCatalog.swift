/// One kind of object the server stores, with what discovery says about it.
struct ResourceType: Sendable, Hashable {
    /// `""` for the core group.
    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    /// Whether `/status` exists; when it does, writes to the main resource keep the stored status.
    var hasStatus: Bool = false
    /// Object names of these kinds become DNS labels (service names, namespaces, pod host names).
    var nameIsLabel: Bool = false

    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `jobs.batch`, as error messages name a resource.
    var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// `Job.batch`, as validation messages name a kind.
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }
    var listKind: String { kind + "List" }

    static let standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
}

/// The resources this server serves, and the discovery documents that describe them.
///
/// kubectl builds its REST mapping only from discovery, so these documents decide which
/// `kubectl` commands work at all: every resource, short name and verb here is one kubectl can use.
struct ResourceCatalog: Sendable {
    let resources: [ResourceType]

    static let namespaces = ResourceType(
        group: "", version: "v1", plural: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false,
        shortNames: ["ns"], hasStatus: true, nameIsLabel: true)
    static let configMaps = ResourceType(
        group: "", version: "v1", plural: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true,
        shortNames: ["cm"])
    static let secrets = ResourceType(
        group: "", version: "v1", plural: "secrets", singular: "secret", kind: "Secret", namespaced: true)
    static let services = ResourceType(
        group: "", version: "v1", plural: "services", singular: "service", kind: "Service", namespaced: true,
        shortNames: ["svc"], categories: ["all"], hasStatus: true, nameIsLabel: true)
    static let serviceAccounts = ResourceType(
        group: "", version: "v1", plural: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount",
        namespaced: true, shortNames: ["sa"])
    static let pods = ResourceType(
        group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"],
        categories: ["all"], hasStatus: true)
    static let events = ResourceType(
        group: "", version: "v1", plural: "events", singular: "event", kind: "Event", namespaced: true,
        shortNames: ["ev"])
    static let jobs = ResourceType(
        group: "batch", version: "v1", plural: "jobs", singular: "job", kind: "Job", namespaced: true,
        categories: ["all"], hasStatus: true)
    static let statefulSets = ResourceType(
        group: "apps", version: "v1", plural: "statefulsets", singular: "statefulset", kind: "StatefulSet",
        namespaced: true, shortNames: ["sts"], categories: ["all"], hasStatus: true)

    static let standard = ResourceCatalog(resources: [
        namespaces, configMaps, secrets, services, serviceAccounts, pods, events, jobs, statefulSets,
    ])

    /// The groups besides core, in the order `/apis` lists them.
    var groupVersions: [(group: String, version: String)] {
        var seen: [String] = []
        var result: [(String, String)] = []
        for resource in resources where !resource.group.isEmpty && !seen.contains(resource.groupVersion) {
            seen.append(resource.groupVersion)
            result.append((resource.group, resource.version))
        }
        return result
    }

    func resource(group: String, version: String, plural: String) -> ResourceType? {
        resources.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    /// Finds a resource by its plural name alone, which is unique in this catalog.
    func resource(plural: String) -> ResourceType? {
        resources.first { $0.plural == plural }
    }

    func resource(apiVersion: String, kind: String) -> ResourceType? {
        resources.first { $0.groupVersion == apiVersion && $0.kind == kind }
    }

    // MARK: Discovery documents

    /// `GET /version`.
    func versionDocument(major: String, minor: String) -> JSONValue {
        [
            "major": .string(major), "minor": .string(minor), "gitVersion": .string("v\(major).\(minor).0"),
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
            "platform": "linux/amd64",
        ]
    }

    /// `GET /api`: plain `APIVersions`.
    ///
    /// Sent as plain `application/json` even when the client asks for aggregated discovery
    /// (`as=APIGroupDiscoveryList`): client-go falls back to these legacy documents when the
    /// response's content type does not echo the aggregated form.
    func coreVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    /// `GET /apis`.
    func groupList() -> JSONValue {
        let groups: [JSONValue] = groupVersions.map { group, version in
            let entry: JSONValue = ["groupVersion": .string("\(group)/\(version)"), "version": .string(version)]
            return ["name": .string(group), "versions": [entry], "preferredVersion": entry]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    /// `GET /apis/<group>` for one group.
    func group(_ name: String) -> JSONValue? {
        guard let version = groupVersions.first(where: { $0.group == name })?.version else { return nil }
        let entry: JSONValue = ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": [entry],
            "preferredVersion": entry,
        ]
    }

    /// `GET /api/v1` or `GET /apis/<group>/<version>`: an `APIResourceList` with subresources.
    func resourceList(group: String, version: String) -> JSONValue? {
        let members = resources.filter { $0.group == group && $0.version == version }
        guard !members.isEmpty else { return nil }
        var entries: [JSONValue] = []
        for resource in members {
            var entry: JSONValue = [
                "name": .string(resource.plural), "singularName": .string(resource.singular),
                "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                "verbs": JSONValue(resource.plural == "namespaces"
                    ? ["create", "delete", "get", "list", "patch", "update", "watch"] : ResourceType.standardVerbs),
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = JSONValue(resource.shortNames) }
            if !resource.categories.isEmpty { entry["categories"] = JSONValue(resource.categories) }
            entries.append(entry)
            if resource.hasStatus {
                entries.append([
                    "name": .string("\(resource.plural)/status"), "singularName": "",
                    "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                    "verbs": ["get", "patch", "update"],
                ])
            }
            if resource == Self.statefulSets {
                entries.append([
                    "name": "statefulsets/scale", "singularName": "", "namespaced": true, "group": "autoscaling",
                    "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
            }
            if resource == Self.pods {
                entries.append([
                    "name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"],
                ])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
            "resources": .array(entries),
        ]
    }
}
