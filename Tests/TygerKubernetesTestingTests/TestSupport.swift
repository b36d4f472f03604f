import Foundation
import Testing
import TygerKubernetesTesting

/// Starts a server, hands it and a raw HTTP client to `body`, and shuts it down.
func withServer(
    _ configure: (inout KubernetesTestServer.Configuration) -> Void = { _ in },
    _ body: (KubernetesTestServer, TestHTTP) async throws -> Void
) async throws {
    var configuration = KubernetesTestServer.Configuration()
    configure(&configuration)
    try await withKubernetesTestServer(configuration: configuration) { server in
        try await body(server, TestHTTP(server))
    }
}

enum Fixtures {
    static let configMaps = "/api/v1/namespaces/tyger/configmaps"
    static let pods = "/api/v1/namespaces/tyger/pods"
    static let services = "/api/v1/namespaces/tyger/services"
    static let jobs = "/apis/batch/v1/namespaces/tyger/jobs"
    static let statefulSets = "/apis/apps/v1/namespaces/tyger/statefulsets"

    static func configMap(_ name: String, data: [String: String] = [:], labels: [String: String] = [:]) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = JSONValue(labels) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": JSONValue(data)]
    }

    static func container(_ arguments: [String], name: String = "main", env: [JSONValue] = []) -> JSONValue {
        var container: JSONValue = [
            "name": .string(name), "image": "tyger-conformance:test", "command": ["tyger-conformance"],
            "args": JSONValue(arguments),
        ]
        if !env.isEmpty { container["env"] = .array(env) }
        return container
    }

    static func pod(_ name: String, _ arguments: [String], restartPolicy: String = "Never") -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
            "spec": ["restartPolicy": .string(restartPolicy), "containers": [container(arguments)]],
        ]
    }

    static func job(
        _ name: String, _ arguments: [String], completions: Int = 1, parallelism: Int? = nil, backoffLimit: Int = 0,
        extraSpec: [String: JSONValue] = [:]
    ) -> JSONValue {
        var spec: JSONValue = [
            "completions": JSONValue(completions), "parallelism": JSONValue(parallelism ?? completions),
            "backoffLimit": JSONValue(backoffLimit),
            "template": ["spec": ["restartPolicy": "Never", "containers": [container(arguments)]]],
        ]
        for (key, value) in extraSpec { spec[key] = value }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)], "spec": spec]
    }

    static func condition(_ object: JSONValue?, _ type: String) -> JSONValue? {
        object?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type && $0["status"] == "True" }
    }
}

extension KubernetesTestServer {
    /// The pods a Job owns.
    func pods(ofJob name: String, namespace: String = "tyger") -> [JSONValue] {
        objects("pods", namespace: namespace).filter { $0.labels["job-name"] == name }
    }
}
