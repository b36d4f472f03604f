import Foundation

/// Server-side printing: the `meta.k8s.io/v1 Table` that `kubectl get` asks for
/// (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns the API server
/// prints for each kind, so kubectl shows READY, STATUS, RESTARTS and so on.
enum TableConverter {
    /// Whether the request's Accept header asks for a Table first.
    static func wantsTable(_ accept: String?) -> Bool {
        guard let first = accept?.split(separator: ",").first else { return false }
        return first.contains("as=Table") && first.contains("g=meta.k8s.io")
    }

    private struct Column {
        var name: String
        var type: String = "string"
        var format: String = ""
        var priority = 0
        var value: (JSONValue) -> JSONValue
    }

    /// A Table of `objects`; `includeObject` is `None`, `Object` or (default) `PartialObjectMetadata`.
    static func table(
        _ objects: [JSONValue], resource: ResourceType, listMetadata: JSONValue, includeObject: String?,
        withColumns: Bool = true
    ) -> JSONValue {
        let columns = self.columns(for: resource)
        var table: JSONValue = [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMetadata,
            "rows": .array(objects.map { object in
                var row: JSONValue = ["cells": .array(columns.map { $0.value(object) })]
                var full = object
                full["kind"] = .string(resource.kind)
                full["apiVersion"] = .string(resource.groupVersion)
                switch includeObject {
                case "None": break
                case "Object": row["object"] = full
                default:
                    row["object"] = [
                        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": object["metadata"] ?? [:],
                    ]
                }
                return row
            }),
        ]
        if withColumns {
            table["columnDefinitions"] = .array(columns.map { column in
                [
                    "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                    "description": .string(column.name), "priority": JSONValue(column.priority),
                ]
            })
        }
        return table
    }

    private static func columns(for resource: ResourceType) -> [Column] {
        let name = Column(name: "Name", format: "name") { .string($0.name) }
        let age = Column(name: "Age") { .string(self.age($0[path: ["metadata", "creationTimestamp"]]?.stringValue)) }
        switch resource {
        case ResourceCatalog.pods:
            return [
                name,
                Column(name: "Ready") { pod in
                    let statuses = pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []
                    let total = pod[path: ["spec", "containers"]]?.arrayValue?.count ?? 0
                    return .string("\(statuses.filter { $0["ready"] == true }.count)/\(total)")
                },
                Column(name: "Status") { .string(podStatus($0)) },
                Column(name: "Restarts", type: "string") { pod in
                    let restarts = (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).compactMap {
                        $0["restartCount"]?.intValue
                    }
                    return .string(String(restarts.reduce(0, +)))
                },
                age,
                Column(name: "IP", priority: 1) { .string($0[path: ["status", "podIP"]]?.stringValue ?? "<none>") },
                Column(name: "Node", priority: 1) { .string($0[path: ["spec", "nodeName"]]?.stringValue ?? "<none>") },
            ]
        case ResourceCatalog.jobs:
            return [
                name,
                Column(name: "Status") { job in
                    let conditions = job[path: ["status", "conditions"]]?.arrayValue ?? []
                    func has(_ type: String) -> Bool { conditions.contains { $0["type"]?.stringValue == type && $0["status"] == "True" } }
                    if has("Complete") { return "Complete" }
                    if has("Failed") { return "Failed" }
                    if ObjectMeta.isDeleting(job) { return "Terminating" }
                    if has("SuccessCriteriaMet") || has("FailureTarget") { return "Terminating" }
                    if job[path: ["spec", "suspend"]] == true { return "Suspended" }
                    return "Running"
                },
                Column(name: "Completions") { job in
                    let succeeded = job[path: ["status", "succeeded"]]?.intValue ?? 0
                    let completions = job[path: ["spec", "completions"]]?.intValue
                    return .string(completions.map { "\(succeeded)/\($0)" } ?? "\(succeeded)/1 of \(job[path: ["spec", "parallelism"]]?.intValue ?? 1)")
                },
                Column(name: "Duration") { job in
                    guard let start = ObjectMeta.date(job[path: ["status", "startTime"]]?.stringValue) else { return "" }
                    let end = ObjectMeta.date(job[path: ["status", "completionTime"]]?.stringValue) ?? Date()
                    return .string(human(end.timeIntervalSince(start)))
                },
                age,
            ]
        case ResourceCatalog.statefulSets:
            return [
                name,
                Column(name: "Ready") { set in
                    .string("\(set[path: ["status", "readyReplicas"]]?.intValue ?? 0)/\(set[path: ["spec", "replicas"]]?.intValue ?? 1)")
                },
                age,
            ]
        case ResourceCatalog.services:
            return [
                name,
                Column(name: "Type") { $0[path: ["spec", "type"]] ?? "ClusterIP" },
                Column(name: "Cluster-IP") { $0[path: ["spec", "clusterIP"]] ?? "<none>" },
                Column(name: "External-IP") { _ in "<none>" },
                Column(name: "Port(s)") { service in
                    let ports = (service[path: ["spec", "ports"]]?.arrayValue ?? []).map {
                        "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")"
                    }
                    return .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))
                },
                age,
            ]
        case ResourceCatalog.configMaps, ResourceCatalog.secrets:
            return [
                name,
                Column(name: "Data", type: "integer") { object in
                    JSONValue((object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0))
                },
                age,
            ]
        case ResourceCatalog.namespaces:
            return [name, Column(name: "Status") { $0[path: ["status", "phase"]] ?? "Active" }, age]
        case ResourceCatalog.events:
            return [
                Column(name: "Last Seen") { .string(self.age($0["lastTimestamp"]?.stringValue)) },
                Column(name: "Type") { $0["type"] ?? "" },
                Column(name: "Reason") { $0["reason"] ?? "" },
                Column(name: "Object") { event in
                    .string("\((event[path: ["involvedObject", "kind"]]?.stringValue ?? "").lowercased())/\(event[path: ["involvedObject", "name"]]?.stringValue ?? "")")
                },
                Column(name: "Message") { $0["message"] ?? "" },
            ]
        default:
            return [name, age]
        }
    }

    /// The STATUS column kubectl shows for a pod: a waiting or terminated reason when there is one.
    static func podStatus(_ pod: JSONValue) -> String {
        if ObjectMeta.isDeleting(pod) { return "Terminating" }
        var reason = pod[path: ["status", "phase"]]?.stringValue ?? "Pending"
        let initStatuses = pod[path: ["status", "initContainerStatuses"]]?.arrayValue ?? []
        for (index, status) in initStatuses.enumerated() {
            if let code = status[path: ["state", "terminated", "exitCode"]]?.intValue, code == 0 { continue }
            if let code = status[path: ["state", "terminated", "exitCode"]]?.intValue {
                return "Init:ExitCode:\(code)"
            }
            if let waiting = status[path: ["state", "waiting", "reason"]]?.stringValue, waiting != "PodInitializing" {
                return "Init:\(waiting)"
            }
            return "Init:\(index)/\(initStatuses.count)"
        }
        for status in (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).reversed() {
            if let waiting = status[path: ["state", "waiting", "reason"]]?.stringValue {
                reason = waiting
            } else if let terminated = status[path: ["state", "terminated"]] {
                reason = terminated["reason"]?.stringValue ?? "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
            }
        }
        return reason
    }

    static func age(_ timestamp: String?) -> String {
        guard let date = ObjectMeta.date(timestamp) else { return "<unknown>" }
        return human(Date().timeIntervalSince(date))
    }

    /// Durations as kubectl prints them: `45s`, `3m20s`, `2h15m`, `5d`.
    static func human(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval))
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        let days = hours / 24
        if days < 8 { return "\(days)d\(hours % 24)h" }
        return "\(days)d"
    }
}
