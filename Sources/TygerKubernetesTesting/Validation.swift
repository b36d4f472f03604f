/// The API server's validation rules that a Kubernetes backend can break.
///
/// Only rules that catch real mistakes are here (names, labels, container basics, Job and
/// StatefulSet invariants, immutable fields), worded as the API server words them. Shape checks
/// (unknown fields, wrong types) are left to the schema tests, which do them better.
enum Validation {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        + "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let labelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
        + "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let qualifiedNameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        + "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let envNameMessage =
        "a valid environment variable name must consist only of printable ASCII characters other than '='"

    private static func isLowerAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
    private static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    static func isDNSLabel(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, text.count <= 63 else { return false }
        return isLowerAlnum(first) && isLowerAlnum(last) && text.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    static func dnsLabelProblem(_ text: String) -> String? {
        if text.count > 63 { return "must be no more than 63 characters" }
        return isDNSLabel(text) ? nil : labelMessage
    }

    static func dnsSubdomainProblem(_ text: String) -> String? {
        if text.count > 253 { return "must be no more than 253 characters" }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return isLowerAlnum(first) && isLowerAlnum(last) && label.allSatisfy { isLowerAlnum($0) || $0 == "-" }
        }
        return valid ? nil : subdomainMessage
    }

    static func labelValueProblem(_ text: String) -> String? {
        if text.count > 63 { return "must be no more than 63 characters" }
        guard let first = text.first, let last = text.last else { return nil }
        let valid =
            isAlnum(first) && isAlnum(last) && text.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
        return valid ? nil : labelValueMessage
    }

    /// Label and annotation keys: an optional DNS-subdomain prefix, `/`, and a name part.
    static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                + "with an alphanumeric character, with an optional DNS subdomain prefix and '/'"
        }
        if parts.count == 2 {
            if parts[0].isEmpty { return "prefix part must be non-empty" }
            if let problem = dnsSubdomainProblem(String(parts[0])) { return "prefix part " + problem }
        }
        let name = String(parts.last!)
        if name.isEmpty { return "name part must be non-empty" }
        if name.count > 63 { return "name part must be no more than 63 characters" }
        guard let first = name.first, let last = name.last, isAlnum(first), isAlnum(last),
            name.allSatisfy({ isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." })
        else { return qualifiedNameMessage }
        return nil
    }

    // MARK: Objects

    /// Every problem with `object` as a `resource`; empty means valid.
    static func validate(_ object: JSONValue, resource: ResourceType, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let name = object.name
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else if let problem = resource.nameIsLabel ? dnsLabelProblem(name) : dnsSubdomainProblem(name) {
            errors.append(.invalid("metadata.name", .string(name), problem))
        } else if resource == ResourceCatalog.jobs, name.count > 63 {
            // The Job name becomes the `job-name` label of its pods.
            errors.append(.invalid("metadata.name", .string(name), "must be no more than 63 characters"))
        }
        for (key, value) in object.labels.sorted(by: { $0.key < $1.key }) {
            if let problem = labelKeyProblem(key) {
                errors.append(.invalid("metadata.labels", .string(key), problem))
            }
            if let problem = labelValueProblem(value) {
                errors.append(.invalid("metadata.labels", .string(value), problem))
            }
        }
        for key in (object[path: ["metadata", "annotations"]]?.objectValue ?? [:]).keys.sorted() {
            if let problem = labelKeyProblem(key) {
                errors.append(.invalid("metadata.annotations", .string(key), problem))
            }
        }
        switch resource {
        case ResourceCatalog.pods:
            errors += validatePodSpec(object["spec"] ?? [:], path: "spec", allowedRestart: nil)
            if let old { errors += podUpdateProblems(object, old: old) }
        case ResourceCatalog.jobs:
            errors += validateJob(object, old: old)
        case ResourceCatalog.statefulSets:
            errors += validateStatefulSet(object, old: old)
        case ResourceCatalog.services:
            errors += validateService(object)
        case ResourceCatalog.configMaps, ResourceCatalog.secrets:
            for field in ["data", "binaryData", "stringData"] {
                for key in (object[field]?.objectValue ?? [:]).keys.sorted()
                where key.isEmpty || !key.allSatisfy({ isAlnum($0) || "-._".contains($0) }) || key.count > 253 {
                    errors.append(
                        .invalid(
                            "\(field)[\(key)]", .string(key),
                            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                                + "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                                + "'[-._a-zA-Z0-9]+')"))
                }
            }
        default: break
        }
        return errors
    }

    static func validatePodSpec(_ spec: JSONValue, path: String, allowedRestart: [String]?) -> [FieldError] {
        var errors: [FieldError] = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required("\(path).containers")) }
        var names: Set<String> = []
        for (field, list) in [("initContainers", spec["initContainers"]?.arrayValue ?? []), ("containers", containers)] {
            for (index, container) in list.enumerated() {
                let at = "\(path).\(field)[\(index)]"
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty {
                    errors.append(.required("\(at).name"))
                } else if let problem = dnsLabelProblem(name) {
                    errors.append(.invalid("\(at).name", .string(name), problem))
                } else if !names.insert(name).inserted {
                    errors.append(.duplicate("\(at).name", .string(name)))
                }
                if (container["image"]?.stringValue ?? "").isEmpty { errors.append(.required("\(at).image")) }
                for (portIndex, port) in (container["ports"]?.arrayValue ?? []).enumerated() {
                    let number = port["containerPort"]?.intValue ?? 0
                    if !(1...65535).contains(number) {
                        errors.append(
                            .invalid(
                                "\(at).ports[\(portIndex)].containerPort", port["containerPort"] ?? .null,
                                "must be between 1 and 65535, inclusive"))
                    }
                }
                for (envIndex, variable) in (container["env"]?.arrayValue ?? []).enumerated() {
                    let envName = variable["name"]?.stringValue ?? ""
                    if envName.isEmpty {
                        errors.append(.required("\(at).env[\(envIndex)].name"))
                    } else if envName.contains("=") || !envName.unicodeScalars.allSatisfy({ (32..<127).contains($0.value) }) {
                        errors.append(.invalid("\(at).env[\(envIndex)].name", .string(envName), envNameMessage))
                    }
                }
            }
        }
        let restart = spec["restartPolicy"]?.stringValue ?? "Always"
        let supported = allowedRestart ?? ["Always", "OnFailure", "Never"]
        if !supported.contains(restart) {
            if spec["restartPolicy"] == nil {
                errors.append(.required("\(path).restartPolicy", "valid values: " + supported.map { "\"\($0)\"" }.joined(separator: ", ")))
            } else {
                errors.append(.notSupported("\(path).restartPolicy", .string(restart), supported))
            }
        }
        for field in ["hostname", "subdomain"] {
            if let value = spec[field]?.stringValue, let problem = dnsLabelProblem(value) {
                errors.append(.invalid("\(path).\(field)", .string(value), problem))
            }
        }
        return errors
    }

    /// Pods are almost immutable once created; only these fields may change.
    private static func podUpdateProblems(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        func mutablePartsRemoved(_ spec: JSONValue?) -> JSONValue {
            var spec = spec ?? [:]
            for field in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "nodeName"] {
                spec[field] = nil
            }
            for field in ["containers", "initContainers"] {
                if let list = spec[field]?.arrayValue {
                    spec[field] = .array(list.map { container in
                        var container = container
                        container["image"] = nil
                        return container
                    })
                }
            }
            return spec
        }
        guard mutablePartsRemoved(object["spec"]) != mutablePartsRemoved(old["spec"]) else { return [] }
        return [
            .forbidden(
                "spec",
                "pod updates may not change fields other than `spec.containers[*].image`,"
                    + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                    + "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
                    + "to 1 if it was previously negative)")
        ]
    }

    private static func validateJob(_ job: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = job["spec"] ?? [:]
        guard let template = spec["template"] else { return [.required("spec.template")] }
        errors += validatePodSpec(template["spec"] ?? [:], path: "spec.template.spec", allowedRestart: ["OnFailure", "Never"])
        for field in ["completions", "parallelism", "backoffLimit", "ttlSecondsAfterFinished"] {
            if let value = spec[field]?.intValue, value < 0 {
                errors.append(.invalid("spec.\(field)", spec[field]!, "must be greater than or equal to 0"))
            }
        }
        if let deadline = spec["activeDeadlineSeconds"]?.intValue, deadline <= 0 {
            errors.append(.invalid("spec.activeDeadlineSeconds", spec["activeDeadlineSeconds"]!, "must be greater than 0"))
        }
        let mode = spec["completionMode"]?.stringValue ?? "NonIndexed"
        if !["NonIndexed", "Indexed"].contains(mode) {
            errors.append(.notSupported("spec.completionMode", .string(mode), ["NonIndexed", "Indexed"]))
        } else if mode == "Indexed", spec["completions"]?.intValue == nil {
            errors.append(.required("spec.completions", "when completion mode is Indexed"))
        }
        if let selector = spec["selector"], spec["manualSelector"]?.boolValue == true,
            let parsed = try? LabelSelector(object: selector), !parsed.matches(template[path: ["metadata", "labels"]]?.stringMap ?? [:])
        {
            errors.append(
                .invalid("spec.template.metadata.labels", template[path: ["metadata", "labels"]] ?? [:],
                    "`selector` does not match template `labels`"))
        }
        if let old {
            for field in ["template", "selector", "completionMode"] where spec[field] != old[path: ["spec", field]] {
                errors.append(.invalid("spec.\(field)", spec[field] ?? .null, "field is immutable"))
            }
            if spec["completions"] != old[path: ["spec", "completions"]] {
                errors.append(.invalid("spec.completions", spec["completions"] ?? .null, "field is immutable"))
            }
        }
        return errors
    }

    private static func validateStatefulSet(_ set: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = set["spec"] ?? [:]
        if let problem = dnsLabelProblem(set.name), !set.name.isEmpty {
            // Pod host names are `<name>-<index>`: a StatefulSet name must be a DNS label.
            errors.append(.invalid("metadata.name", .string(set.name), problem))
        }
        guard let template = spec["template"] else { return errors + [.required("spec.template")] }
        errors += validatePodSpec(template["spec"] ?? [:], path: "spec.template.spec", allowedRestart: ["Always"])
        let labels = template[path: ["metadata", "labels"]]?.stringMap ?? [:]
        if spec["selector"] == nil {
            errors.append(.required("spec.selector"))
        } else if let selector = try? LabelSelector(object: spec["selector"]) {
            if selector.requirements.isEmpty {
                errors.append(.invalid("spec.selector", spec["selector"]!, "empty selector is invalid for statefulset"))
            } else if !selector.matches(labels) {
                errors.append(
                    .invalid("spec.template.metadata.labels", .init(labels), "`selector` does not match template `labels`"))
            }
        }
        if let replicas = spec["replicas"]?.intValue, replicas < 0 {
            errors.append(.invalid("spec.replicas", spec["replicas"]!, "must be greater than or equal to 0"))
        }
        let policy = spec["podManagementPolicy"]?.stringValue ?? "OrderedReady"
        if !["OrderedReady", "Parallel"].contains(policy) {
            errors.append(.notSupported("spec.podManagementPolicy", .string(policy), ["OrderedReady", "Parallel"]))
        }
        if let old {
            var mutable = spec
            var previous = old["spec"] ?? [:]
            for field in [
                "replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds",
                "ordinals", "revisionHistoryLimit",
            ] {
                mutable[field] = nil
                previous[field] = nil
            }
            if mutable != previous {
                errors.append(
                    .forbidden(
                        "spec",
                        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                            + "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                            + "'minReadySeconds' are forbidden"))
            }
        }
        return errors
    }

    private static func validateService(_ service: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, port) in (service[path: ["spec", "ports"]]?.arrayValue ?? []).enumerated() {
            let number = port["port"]?.intValue ?? 0
            if !(1...65535).contains(number) {
                errors.append(.invalid("spec.ports[\(index)].port", port["port"] ?? .null, "must be between 1 and 65535, inclusive"))
            }
        }
        let ports = service[path: ["spec", "ports"]]?.arrayValue ?? []
        if ports.isEmpty && service[path: ["spec", "clusterIP"]]?.stringValue != "None" {
            // Only headless Services may have no ports.
            errors.append(.required("spec.ports"))
        }
        if ports.count > 1 {
            for (index, port) in ports.enumerated() where (port["name"]?.stringValue ?? "").isEmpty {
                errors.append(.required("spec.ports[\(index)].name"))
            }
        }
        return errors
    }
}
