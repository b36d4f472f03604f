import Foundation

/// Builds a container's environment and command line the way the kubelet does.
enum ContainerEnvironment {
    /// Why a container cannot be created (the kubelet's `CreateContainerConfigError`).
    struct ConfigError: Error {
        var message: String
    }

    /// The environment of `container` in `pod`: `envFrom`, then `env` in order, each value expanded
    /// against the variables defined before it, plus what the runtime adds (`HOSTNAME`, service variables).
    static func resolve(container: JSONValue, pod: JSONValue, store: ObjectStore) throws(ConfigError) -> [String: String] {
        var environment: [String: String] = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let namespace = pod.namespace
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            if let reference = source["configMapRef"] {
                let name = reference["name"]?.stringValue ?? ""
                guard let map = store.get(ResourceCatalog.configMaps, namespace: namespace, name: name) else {
                    if reference["optional"]?.boolValue == true { continue }
                    throw ConfigError(message: "configmap \"\(name)\" not found")
                }
                for (key, value) in map["data"]?.stringMap ?? [:] { environment[prefix + key] = value }
            } else if let reference = source["secretRef"] {
                let name = reference["name"]?.stringValue ?? ""
                guard let secret = store.get(ResourceCatalog.secrets, namespace: namespace, name: name) else {
                    if reference["optional"]?.boolValue == true { continue }
                    throw ConfigError(message: "secret \"\(name)\" not found")
                }
                for (key, value) in secret["data"]?.stringMap ?? [:] {
                    environment[prefix + key] = decodeBase64(value)
                }
            }
        }
        // Expansion sees service variables, envFrom and the `env` entries defined earlier; the
        // runtime's own variables (HOSTNAME, PATH) come later and are not visible to it.
        var defined = environment
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            let value: String?
            if let source = variable["valueFrom"] {
                value = try valueFrom(source, pod: pod, store: store)
            } else {
                value = expand(variable["value"]?.stringValue ?? "", with: defined)
            }
            if let value {
                defined[name] = value
                environment[name] = value
            }
        }
        environment["HOSTNAME"] = environment["HOSTNAME"] ?? pod[path: ["spec", "hostname"]]?.stringValue ?? pod.name
        environment["PATH"] = environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return environment
    }

    private static func valueFrom(_ source: JSONValue, pod: JSONValue, store: ObjectStore) throws(ConfigError) -> String? {
        if let path = source[path: ["fieldRef", "fieldPath"]]?.stringValue {
            return fieldValue(path, pod: pod)
        }
        if let reference = source["configMapKeyRef"] {
            let name = reference["name"]?.stringValue ?? ""
            let key = reference["key"]?.stringValue ?? ""
            let optional = reference["optional"]?.boolValue == true
            guard let map = store.get(ResourceCatalog.configMaps, namespace: pod.namespace, name: name) else {
                if optional { return nil }
                throw ConfigError(message: "configmap \"\(name)\" not found")
            }
            guard let value = map[path: ["data", key]]?.stringValue else {
                if optional { return nil }
                throw ConfigError(message: "couldn't find key \(key) in ConfigMap \(pod.namespace)/\(name)")
            }
            return value
        }
        if let reference = source["secretKeyRef"] {
            let name = reference["name"]?.stringValue ?? ""
            let key = reference["key"]?.stringValue ?? ""
            let optional = reference["optional"]?.boolValue == true
            guard let secret = store.get(ResourceCatalog.secrets, namespace: pod.namespace, name: name) else {
                if optional { return nil }
                throw ConfigError(message: "secret \"\(name)\" not found")
            }
            guard let value = secret[path: ["data", key]]?.stringValue else {
                if optional { return nil }
                throw ConfigError(message: "couldn't find key \(key) in Secret \(pod.namespace)/\(name)")
            }
            return decodeBase64(value)
        }
        if source["resourceFieldRef"] != nil { return "0" }
        return nil
    }

    /// The downward API: `metadata.name`, `metadata.labels['key']`, `status.podIP`, ...
    static func fieldValue(_ path: String, pod: JSONValue) -> String? {
        for (prefix, field) in [("metadata.labels['", "labels"), ("metadata.annotations['", "annotations")]
        where path.hasPrefix(prefix) && path.hasSuffix("']") {
            let key = String(path.dropFirst(prefix.count).dropLast(2))
            return pod[path: ["metadata", field, key]]?.stringValue ?? ""
        }
        switch path {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "spec.nodeName": return pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
        case "status.podIP", "status.podIPs": return pod[path: ["status", "podIP"]]?.stringValue ?? ""
        case "status.hostIP", "status.hostIPs": return pod[path: ["status", "hostIP"]]?.stringValue ?? ""
        default: return ""
        }
    }

    /// Kubernetes `$(VAR)` expansion: defined references are replaced, `$$` is a literal `$`,
    /// and undefined references stay as written.
    static func expand(_ text: String, with variables: [String: String]) -> String {
        var result = ""
        var characters = Substring(text)
        while let dollar = characters.firstIndex(of: "$") {
            result += characters[..<dollar]
            let afterDollar = characters.index(after: dollar)
            guard afterDollar < characters.endIndex else {
                result += "$"
                characters = characters[afterDollar...]
                break
            }
            switch characters[afterDollar] {
            case "$":
                result += "$"
                characters = characters[characters.index(after: afterDollar)...]
            case "(":
                if let close = characters[afterDollar...].firstIndex(of: ")") {
                    let name = String(characters[characters.index(after: afterDollar)..<close])
                    if let value = variables[name] {
                        result += value
                    } else {
                        result += characters[dollar...close]
                    }
                    characters = characters[characters.index(after: close)...]
                } else {
                    result += characters[dollar...]
                    characters = characters[characters.endIndex...]
                }
            default:
                result += "$"
                characters = characters[afterDollar...]
            }
        }
        return result + characters
    }

    /// The process's argv: `command` (or the image's entrypoint when absent) and `args`, expanded
    /// against the whole environment.
    static func commandLine(container: JSONValue, environment: [String: String]) -> [String] {
        let command = container["command"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let arguments = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (command + arguments).map { expand($0, with: environment) }
    }

    private static func decodeBase64(_ text: String) -> String {
        Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } ?? text
    }
}
