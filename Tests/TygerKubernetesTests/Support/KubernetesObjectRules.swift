import TygerKubernetes

/// The rules the API server (or a controller) enforces that the JSON Schemas do not:
/// names and their lengths, selectors, restart policies, port ranges, environment names.
/// Returns every broken rule as text naming the object and field.
enum KubernetesObjectRules {
    static func problems(in rendered: RenderedRun) -> [String] {
        var problems: [String] = []
        problems += Self.problems(in: rendered.job)
        if let service = rendered.workerService { problems += Self.problems(in: service) }
        if let statefulSet = rendered.workerStatefulSet { problems += Self.problems(in: statefulSet) }
        if let service = rendered.workerService, let statefulSet = rendered.workerStatefulSet {
            if statefulSet.spec?.serviceName != service.metadata.name {
                problems.append(
                    "StatefulSet: serviceName \(statefulSet.spec?.serviceName ?? "nil") is not the Service's name")
            }
            if service.spec?.selector != statefulSet.spec?.selector.matchLabels {
                problems.append("Service: selector differs from the StatefulSet's")
            }
            let servicePorts = Set(service.spec?.ports?.map(\.port) ?? [])
            let containerPorts = Set(
                statefulSet.spec?.template.spec?.containers.flatMap { $0.ports?.map(\.containerPort) ?? [] } ?? [])
            if servicePorts != containerPorts {
                problems.append(
                    "Service: ports \(servicePorts.sorted()) differ from the worker's \(containerPorts.sorted())")
            }
        } else if (rendered.workerService == nil) != (rendered.workerStatefulSet == nil) {
            problems.append("a worker Service needs a worker StatefulSet and the reverse")
        }
        return problems
    }

    static func problems(in job: Job) -> [String] {
        var problems = Self.metadataProblems(job.metadata, kind: "Job")
        guard let spec = job.spec else { return problems + ["Job: no spec"] }
        let template = spec.template
        problems += podProblems(template.spec, kind: "Job")
        problems += labelProblems(template.metadata?.labels, at: "Job: template.metadata.labels")
        if template.spec?.restartPolicy != "Never" {
            problems.append(
                "Job: restartPolicy is \(template.spec?.restartPolicy ?? "nil"); a run's job must not restart")
        }
        let completions = spec.completions ?? 1
        if spec.parallelism != spec.completions {
            problems.append("Job: parallelism \(spec.parallelism ?? -1) differs from completions \(completions)")
        }
        if completions > 1, spec.completionMode != "Indexed" {
            problems.append("Job: \(completions) completions without completionMode Indexed")
        }
        if spec.completionMode == "Indexed", let name = job.metadata.name {
            let lastHostname = "\(name)-\(completions - 1)"
            if !KubernetesNameRules.isDNS1123Label(lastHostname) {
                problems.append("Job: the pod hostname \(lastHostname) is not a DNS-1123 label")
            }
        }
        for (field, value) in [
            ("backoffLimit", spec.backoffLimit), ("activeDeadlineSeconds", spec.activeDeadlineSeconds),
        ] {
            if let value, value < 0 { problems.append("Job: \(field) is negative") }
        }
        if let deadline = spec.activeDeadlineSeconds, deadline == 0 {
            problems.append("Job: activeDeadlineSeconds is 0")
        }
        return problems
    }

    static func problems(in statefulSet: StatefulSet) -> [String] {
        var problems = Self.metadataProblems(statefulSet.metadata, kind: "StatefulSet")
        guard let spec = statefulSet.spec else { return problems + ["StatefulSet: no spec"] }
        let name = statefulSet.metadata.name ?? ""
        if name.utf8.count > KubernetesNameRules.maximumStatefulSetNameLength {
            problems.append("StatefulSet: the name \(name) is longer than 52 characters; its pods could not be created")
        }
        problems += podProblems(spec.template.spec, kind: "StatefulSet")
        let templateLabels = spec.template.metadata?.labels ?? [:]
        problems += labelProblems(templateLabels, at: "StatefulSet: template.metadata.labels")
        let selector = spec.selector.matchLabels ?? [:]
        if selector.isEmpty { problems.append("StatefulSet: empty selector") }
        for (key, value) in selector where templateLabels[key] != value {
            problems.append("StatefulSet: selector \(key)=\(value) does not match the template labels")
        }
        if spec.template.spec?.restartPolicy != "Always" {
            problems.append(
                "StatefulSet: restartPolicy is \(spec.template.spec?.restartPolicy ?? "nil"); only Always is allowed")
        }
        let replicas = spec.replicas ?? 1
        for index in [0, replicas - 1] where !KubernetesNameRules.isDNS1123Label("\(name)-\(index)") {
            problems.append("StatefulSet: the pod hostname \(name)-\(index) is not a DNS-1123 label")
        }
        return problems
    }

    static func problems(in service: Service) -> [String] {
        var problems = Self.metadataProblems(service.metadata, kind: "Service")
        if let name = service.metadata.name, !KubernetesNameRules.isDNS1035Label(name) {
            problems.append("Service: the name \(name) is not a DNS-1035 label")
        }
        let ports = service.spec?.ports ?? []
        if ports.count > 1, ports.contains(where: { $0.name == nil }) {
            problems.append("Service: with several ports, every port needs a name")
        }
        if Set(ports.compactMap(\.name)).count != ports.compactMap(\.name).count {
            problems.append("Service: port names are not unique")
        }
        if Set(ports.map(\.port)).count != ports.count { problems.append("Service: port numbers are not unique") }
        for port in ports {
            if !(1...65_535).contains(port.port) { problems.append("Service: port \(port.port) out of range") }
            if case .int(let target)? = port.targetPort, !(1...65_535).contains(target) {
                problems.append("Service: targetPort \(target) out of range")
            }
            if let name = port.name, !KubernetesNameRules.isIANAServiceName(name) {
                problems.append("Service: port name \(name) is not an IANA service name")
            }
        }
        problems += labelProblems(service.spec?.selector, at: "Service: selector")
        return problems
    }

    static func metadataProblems(_ metadata: ObjectMeta, kind: String) -> [String] {
        var problems: [String] = []
        if let name = metadata.name, !KubernetesNameRules.isDNS1123Label(name) {
            problems.append("\(kind): the name \(name) is not a DNS-1123 label")
        }
        if metadata.name == nil { problems.append("\(kind): no name") }
        if let namespace = metadata.namespace, !KubernetesNameRules.isDNS1123Label(namespace) {
            problems.append("\(kind): the namespace \(namespace) is not a DNS-1123 label")
        }
        problems += labelProblems(metadata.labels, at: "\(kind): metadata.labels")
        return problems
    }

    static func labelProblems(_ labels: [String: String]?, at place: String) -> [String] {
        (labels ?? [:]).sorted { $0.key < $1.key }.flatMap { key, value in
            (KubernetesNameRules.isLabelKey(key) ? [] : ["\(place): \(key) is not a label key"])
                + (KubernetesNameRules.isLabelValue(value) ? [] : ["\(place): \(key)=\(value) is not a label value"])
        }
    }

    static func podProblems(_ pod: PodSpec?, kind: String) -> [String] {
        guard let pod else { return ["\(kind): no pod spec"] }
        var problems: [String] = []
        let containers = (pod.initContainers ?? []) + pod.containers
        if pod.containers.isEmpty { problems.append("\(kind): no containers") }
        if Set(containers.map(\.name)).count != containers.count {
            problems.append("\(kind): container names are not unique")
        }
        let volumes = Set((pod.volumes ?? []).map(\.name))
        for volume in pod.volumes ?? [] where !KubernetesNameRules.isDNS1123Label(volume.name) {
            problems.append("\(kind): volume name \(volume.name) is not a DNS-1123 label")
        }
        if volumes.count != (pod.volumes ?? []).count { problems.append("\(kind): volume names are not unique") }
        if let account = pod.serviceAccountName, !KubernetesNameRules.isDNS1123Subdomain(account) {
            problems.append("\(kind): serviceAccountName \(account) is not a DNS-1123 subdomain")
        }
        problems += labelProblems(pod.nodeSelector, at: "\(kind): nodeSelector")
        var portNames = Set<String>()
        for container in containers {
            let place = "\(kind) container \(container.name)"
            if !KubernetesNameRules.isDNS1123Label(container.name) {
                problems.append("\(place): name is not a DNS-1123 label")
            }
            if (container.image ?? "").isEmpty { problems.append("\(place): no image") }
            let names = container.envNames
            for name in names where !KubernetesNameRules.isEnvironmentVariableName(name) {
                problems.append("\(place): env name \(name) is not valid")
            }
            if Set(names).count != names.count { problems.append("\(place): env names are not unique: \(names)") }
            for variable in container.env ?? [] where (variable.value == nil) == (variable.valueFrom == nil) {
                problems.append("\(place): env \(variable.name) needs exactly one of value and valueFrom")
            }
            for port in container.ports ?? [] {
                if !(1...65_535).contains(port.containerPort) {
                    problems.append("\(place): port \(port.containerPort) out of range")
                }
                if let name = port.name {
                    if !KubernetesNameRules.isIANAServiceName(name) {
                        problems.append("\(place): port name \(name) is not an IANA service name")
                    }
                    if !portNames.insert(name).inserted {
                        problems.append("\(place): port name \(name) is not unique in the pod")
                    }
                }
            }
            if case .int(let port)? = container.readinessProbe?.tcpSocket?.port {
                if !(container.ports ?? []).contains(where: { $0.containerPort == port }) {
                    problems.append(
                        "\(place): the readiness probe checks port \(port), which the container does not declare")
                }
            }
            for mount in container.volumeMounts ?? [] where !volumes.contains(mount.name) {
                problems.append("\(place): mounts the unknown volume \(mount.name)")
            }
            let requests = container.resources?.requests ?? [:]
            let limits = container.resources?.limits ?? [:]
            for resource in Set(requests.keys).union(limits.keys)
            where resource.contains("/") && requests[resource] != limits[resource] {
                problems.append("\(place): the extended resource \(resource) must have equal request and limit")
            }
        }
        return problems
    }
}

extension KubernetesNameRules {
    /// `[-._a-zA-Z][-._a-zA-Z0-9]*`: the environment variable names every supported Kubernetes
    /// version accepts (newer API servers accept more; older ones apply exactly this rule),
    /// which is also TygerKit's rule for codespec `env`.
    static func isEnvironmentVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-._".utf8.contains(byte)
        }
    }
}
