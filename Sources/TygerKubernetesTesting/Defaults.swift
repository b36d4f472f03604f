/// The API server's defaulting for the kinds a backend creates.
///
/// Defaults matter to clients that read objects back: a Job's selector and its pods' `job-name`
/// labels, a pod's `restartPolicy` and grace period, a Service's `clusterIP`. Only fields that
/// change behaviour or that clients commonly read are defaulted.
enum Defaults {
    static func apply(to object: inout JSONValue, resource: ResourceType) {
        switch resource {
        case ResourceCatalog.pods:
            var spec = object["spec"] ?? [:]
            podSpec(&spec)
            object["spec"] = spec
        case ResourceCatalog.jobs: job(&object)
        case ResourceCatalog.statefulSets: statefulSet(&object)
        case ResourceCatalog.services: service(&object)
        case ResourceCatalog.namespaces:
            object[path: ["spec", "finalizers"]] = object[path: ["spec", "finalizers"]] ?? ["kubernetes"]
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(object.name)
        case ResourceCatalog.secrets:
            object["type"] = object["type"] ?? "Opaque"
        default: break
        }
    }

    /// The status a newly created object starts with; clients cannot set it on create.
    static func initialStatus(_ resource: ResourceType) -> JSONValue? {
        switch resource {
        case ResourceCatalog.pods: return ["phase": "Pending", "qosClass": "BestEffort"]
        case ResourceCatalog.namespaces: return ["phase": "Active"]
        case ResourceCatalog.statefulSets: return ["replicas": 0, "availableReplicas": 0]
        case ResourceCatalog.services: return ["loadBalancer": [:]]
        case ResourceCatalog.jobs: return [:]
        default: return nil
        }
    }

    static func podSpec(_ spec: inout JSONValue) {
        spec["restartPolicy"] = spec["restartPolicy"] ?? "Always"
        spec["terminationGracePeriodSeconds"] = spec["terminationGracePeriodSeconds"] ?? 30
        spec["dnsPolicy"] = spec["dnsPolicy"] ?? "ClusterFirst"
        spec["schedulerName"] = spec["schedulerName"] ?? "default-scheduler"
        spec["securityContext"] = spec["securityContext"] ?? [:]
        if spec["serviceAccountName"] == nil { spec["serviceAccountName"] = spec["serviceAccount"] ?? "default" }
        spec["serviceAccount"] = spec["serviceAccountName"]
        for field in ["initContainers", "containers"] {
            guard let containers = spec[field]?.arrayValue else { continue }
            spec[field] = .array(containers.map { container in
                var container = container
                let image = container["image"]?.stringValue ?? ""
                let latest = !image.contains(":") || image.hasSuffix(":latest")
                container["imagePullPolicy"] = container["imagePullPolicy"] ?? (latest ? "Always" : "IfNotPresent")
                container["terminationMessagePath"] = container["terminationMessagePath"] ?? "/dev/termination-log"
                container["terminationMessagePolicy"] = container["terminationMessagePolicy"] ?? "File"
                container["resources"] = container["resources"] ?? [:]
                if let ports = container["ports"]?.arrayValue {
                    container["ports"] = .array(ports.map { port in
                        var port = port
                        port["protocol"] = port["protocol"] ?? "TCP"
                        return port
                    })
                }
                return container
            })
        }
    }

    /// Job defaulting, including the generated selector the Job controller relies on.
    ///
    /// Needs the uid, so the registry calls it after assigning one.
    static func job(_ job: inout JSONValue) {
        var spec = job["spec"] ?? [:]
        if spec["completions"] == nil && spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        spec["parallelism"] = spec["parallelism"] ?? 1
        spec["backoffLimit"] = spec["backoffLimit"] ?? 6
        spec["completionMode"] = spec["completionMode"] ?? "NonIndexed"
        spec["suspend"] = spec["suspend"] ?? false
        spec["podReplacementPolicy"] = spec["podReplacementPolicy"] ?? "TerminatingOrFailed"
        spec["manualSelector"] = nil
        if !job.uid.isEmpty {
            let uid = JSONValue.string(job.uid)
            let name = JSONValue.string(job.name)
            spec[path: ["selector", "matchLabels", "batch.kubernetes.io/controller-uid"]] = uid
            for (label, value) in [
                ("batch.kubernetes.io/controller-uid", uid), ("controller-uid", uid),
                ("batch.kubernetes.io/job-name", name), ("job-name", name),
            ] {
                spec[path: ["template", "metadata", "labels", label]] = value
            }
        }
        var podSpec = spec[path: ["template", "spec"]] ?? [:]
        Defaults.podSpec(&podSpec)
        spec[path: ["template", "spec"]] = podSpec
        job["spec"] = spec
    }

    static func statefulSet(_ set: inout JSONValue) {
        var spec = set["spec"] ?? [:]
        spec["replicas"] = spec["replicas"] ?? 1
        spec["podManagementPolicy"] = spec["podManagementPolicy"] ?? "OrderedReady"
        spec["updateStrategy"] = spec["updateStrategy"] ?? ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]]
        spec["revisionHistoryLimit"] = spec["revisionHistoryLimit"] ?? 10
        spec["persistentVolumeClaimRetentionPolicy"] =
            spec["persistentVolumeClaimRetentionPolicy"] ?? ["whenDeleted": "Retain", "whenScaled": "Retain"]
        var podSpec = spec[path: ["template", "spec"]] ?? [:]
        Defaults.podSpec(&podSpec)
        spec[path: ["template", "spec"]] = podSpec
        set["spec"] = spec
    }

    static func service(_ service: inout JSONValue) {
        var spec = service["spec"] ?? [:]
        spec["type"] = spec["type"] ?? "ClusterIP"
        spec["sessionAffinity"] = spec["sessionAffinity"] ?? "None"
        if spec["clusterIP"] == nil || spec["clusterIP"] == "" {
            // Addresses are only labels here: nothing routes to them.
            spec["clusterIP"] = .string("10.96.\(Int.random(in: 0...255)).\(Int.random(in: 1...254))")
        }
        spec["clusterIPs"] = spec["clusterIPs"] ?? [spec["clusterIP"]!]
        spec["ipFamilies"] = spec["ipFamilies"] ?? ["IPv4"]
        spec["ipFamilyPolicy"] = spec["ipFamilyPolicy"] ?? "SingleStack"
        spec["internalTrafficPolicy"] = spec["internalTrafficPolicy"] ?? "Cluster"
        if let ports = spec["ports"]?.arrayValue {
            spec["ports"] = .array(ports.map { port in
                var port = port
                port["protocol"] = port["protocol"] ?? "TCP"
                port["targetPort"] = port["targetPort"] ?? port["port"]
                return port
            })
        }
        service["spec"] = spec
    }
}
