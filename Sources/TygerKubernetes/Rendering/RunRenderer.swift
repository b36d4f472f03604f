public import TygerKit

/// Turns a resolved run into the Kubernetes objects that execute it: a pure function, with
/// no I/O, so what a run becomes can be inspected, tested and validated offline.
///
/// ```swift
/// let rendered = try RunRenderer.render(runID: id, run: resolved, namespace: "tyger")
/// print(try rendered.yaml())
/// ```
///
/// What a run becomes (run `42`, namespace `tyger`):
/// - **Job `run-42-job`** (`batch/v1`): `parallelism` and `completions` equal `job.replicas`
///   (`completionMode: Indexed` when more than one), `backoffLimit: 0`,
///   `activeDeadlineSeconds: timeoutSeconds`, `restartPolicy: Never`; its container `main`
///   gets `TYGER_RUN_ID`, and in a distributed run `TYGER_WORKER_NODES` and one
///   `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES` per endpoint, as ``DiscoveryVariables/job(hosts:ports:)``
///   writes them for every backend; then an init container `wait-for-workers` holds it until
///   every worker endpoint accepts TCP connections. When those lists are too long for the
///   environment (``DiscoveryVariables/jobDiscovery(hosts:ports:inlineLimit:)``), each is a
///   ConfigMap `run-42-discovery-<n>` mounted at `/etc/tyger/discovery/<n>/` and named by the
///   `_FILE` variables instead.
/// - **Service `run-42-worker`**: headless, `publishNotReadyAddresses`, one port per
///   endpoint, so that `run-42-worker-<i>.run-42-worker.tyger.svc.cluster.local` resolves.
/// - **StatefulSet `run-42-worker`**: `replicas` worker pods started in parallel, container
///   `worker` with `TYGER_RUN_ID`, `TYGER_WORKER_INDEX` (from the pod-index label) and
///   `TYGER_<NAME>_ENDPOINT_PORT` per endpoint; ready when its first endpoint accepts
///   connections.
///
/// In every container the injected variables come first, so the codespec's `env` (sorted by
/// name, as the local backend orders it) may refer to them as `$(TYGER_RUN_ID)`. A codespec
/// variable with the name of an injected one is left out: the contract's value wins, as on
/// the local backend. Both pods get the codespec's image, command, args, working directory,
/// service account (`identity`), resources (`gpu` as `nvidia.com/gpu`, `shm` as a memory
/// `emptyDir` at `/dev/shm`), and for a node pool a node selector and toleration.
public enum RunRenderer {
    /// The job container's name; upstream's too, so status reasons read "Main exited with code 3".
    public static let jobContainerName = "main"
    /// The worker container's name.
    public static let workerContainerName = "worker"
    /// The job's init container that waits for the workers.
    public static let waitContainerName = WorkerWait.containerName
    /// Where a worker reads its replica index: the label the StatefulSet controller sets on
    /// each pod (Kubernetes 1.28 and later).
    public static let podIndexFieldPath = "metadata.labels['apps.kubernetes.io/pod-index']"

    static let shmVolumeName = "shm"
    static let gpuResource = "nvidia.com/gpu"
    static let readinessPeriodSeconds = 2

    /// Renders a run into the objects that execute it, without owner references (see
    /// ``RenderedRun/withOwner(jobUID:)``).
    ///
    /// - Parameters:
    ///   - runID: The run's ID, such as `42`; it names the objects (`run-42-job`).
    ///   - run: The run with its codespecs resolved.
    ///   - namespace: The namespace every object is created in; part of every worker hostname.
    ///   - options: The node pool label and toleration, wait image and labels.
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidSpec``, naming each field
    ///   Kubernetes cannot take: a missing image, a run ID too long for object names, a node
    ///   pool that is not a label value, an identity that is not a service account name.
    public static func render(
        runID: RunID, run: ResolvedRunSpec, namespace: String, options: KubernetesRenderOptions = KubernetesRenderOptions()
    ) throws(TygerError) -> RenderedRun {
        try validate(run, namespace: namespace, options: options)
        let names = RunObjectNames(runID: runID)
        let context = Context(names: names, namespace: namespace, options: options)
        guard let workerTarget = run.worker else {
            return RenderedRun(job: job(context, run: run, workers: nil))
        }
        let workers = Workers(context, target: workerTarget)
        let ports = workers.codespec.endpoints.map { endpoint in
            (endpoint: endpoint, ports: Array(repeating: endpoint.port, count: workers.hosts.count))
        }
        let discovery = DiscoveryVariables.jobDiscovery(
            hosts: workers.hosts, ports: ports, inlineLimit: options.discoveryInlineLimit)
        let configMaps = try discoveryConfigMaps(discovery.files, context)
        let jobObject = job(context, run: run, workers: workers, discovery: discovery)
        return RenderedRun(
            job: jobObject,
            workerService: service(context, workers: workers),
            workerStatefulSet: statefulSet(context, workers: workers),
            discoveryConfigMaps: configMaps
        )
    }

    // MARK: - Discovery files

    /// Where the job container finds the discovery lists that are too long for its environment:
    /// list `n` (0 for the worker nodes, then one per endpoint) is the file named after its
    /// variable in `/etc/tyger/discovery/<n>/`, such as `/etc/tyger/discovery/0/TYGER_WORKER_NODES`.
    public static let discoveryMountRoot = "/etc/tyger/discovery"
    /// The most a ConfigMap may hold: the API server rejects data over 1 MiB in total.
    public static let configMapDataLimit = 1024 * 1024

    static func discoveryVolumeName(_ index: Int) -> String { "tyger-discovery-\(index)" }
    static func discoveryMountPath(_ index: Int) -> String { "\(discoveryMountRoot)/\(index)" }

    /// One ConfigMap per list, so that nodes and addresses of 10,000 workers (about 600 KB
    /// each) never share the 1 MiB a ConfigMap may hold.
    static func discoveryConfigMaps(_ files: [DiscoveryVariables.ListFile], _ context: Context) throws(TygerError)
        -> [ConfigMap]
    {
        let names = context.names
        var configMaps: [ConfigMap] = []
        for (index, file) in files.enumerated() {
            let size = file.fileName.utf8.count + file.contents.utf8.count
            guard size <= configMapDataLimit else {
                throw TygerError(
                    .invalidSpec,
                    "the run has too many workers for Kubernetes: the list in \(file.variable) takes \(size) bytes, and "
                        + "a ConfigMap holds at most \(configMapDataLimit)",
                    location: SpecLocation(keyPath: "worker.replicas"))
            }
            configMaps.append(
                ConfigMap(
                    metadata: ObjectMeta(
                        name: names.discoveryConfigMap(index), namespace: context.namespace,
                        labels: context.options.labels(runID: names.runID, role: .job)),
                    data: [file.fileName: file.contents]))
        }
        return configMaps
    }

    // MARK: - Objects

    /// What every object of one run is rendered with.
    struct Context {
        var names: RunObjectNames
        var namespace: String
        var options: KubernetesRenderOptions
    }

    /// The workers of a distributed run, as the Job, Service and StatefulSet need them.
    struct Workers {
        var target: ResolvedRunSpec.Workers
        var hosts: [String]
        var ports: [ServicePortPlan]

        var codespec: Codespec { target.codespec }

        init(_ context: Context, target: ResolvedRunSpec.Workers) {
            self.target = target
            self.hosts = (0..<target.replicas).map { context.names.workerHost($0, namespace: context.namespace) }
            self.ports = ServicePortPlan.plan(target.codespec.endpoints)
        }
    }

    /// One exposed port: endpoints that share a port number share one entry.
    struct ServicePortPlan {
        var port: Int
        /// The endpoint name lower-cased, when that is a valid container port name.
        var containerPortName: String?

        static func plan(_ endpoints: [Endpoint]) -> [ServicePortPlan] {
            var seen = Set<Int>()
            return endpoints.compactMap { endpoint in
                guard seen.insert(endpoint.port).inserted else { return nil }
                let name = endpoint.name.lowercased()
                return ServicePortPlan(
                    port: endpoint.port, containerPortName: KubernetesNameRules.isIANAServiceName(name) ? name : nil)
            }
        }

        /// Service ports need names when there are several; `port-<n>` cannot clash with an
        /// endpoint name, which has no `-`.
        var servicePortName: String { containerPortName ?? "port-\(port)" }
    }

    static func job(
        _ context: Context, run: ResolvedRunSpec, workers: Workers?, discovery jobDiscovery: DiscoveryVariables.JobDiscovery? = nil
    ) -> Job {
        let (names, options) = (context.names, context.options)
        let replicas = run.job.replicas
        var discovery: [(name: String, value: String)] = []
        var initContainers: [Container]?
        if let workers, let jobDiscovery {
            let paths = Dictionary(
                uniqueKeysWithValues: jobDiscovery.files.enumerated().map { index, file in
                    (file.variable, "\(discoveryMountPath(index))/\(file.fileName)")
                })
            discovery = jobDiscovery.variables { paths[$0.variable] ?? "" }
            initContainers = [
                WorkerWait.container(
                    image: options.waitImage,
                    replicas: workers.target.replicas,
                    hostPrefix: names.worker + "-",
                    hostSuffix: "." + names.workerHostSuffix(namespace: context.namespace),
                    ports: workers.ports.map(\.port)
                )
            ]
        }
        let injected = RunEnvironment.job(runID: names.runID, discovery: discovery).map { EnvVar(name: $0.name, value: $0.value) }
        var pod = podSpec(
            container: container(named: jobContainerName, codespec: run.job.codespec, injected: injected),
            codespec: run.job.codespec, nodePool: run.job.nodePool, role: .job, options: options)
        pod.initContainers = initContainers
        if let files = jobDiscovery?.files, !files.isEmpty {
            let volumes = files.indices.map { index in
                Volume(
                    name: discoveryVolumeName(index),
                    configMap: Volume.ConfigMapSource(name: names.discoveryConfigMap(index)))
            }
            pod.volumes = (pod.volumes ?? []) + volumes
            pod.containers[0].volumeMounts =
                (pod.containers[0].volumeMounts ?? [])
                + files.indices.map { index in
                    VolumeMount(name: discoveryVolumeName(index), mountPath: discoveryMountPath(index), readOnly: true)
                }
        }
        pod.restartPolicy = "Never"
        let labels = options.labels(runID: names.runID, role: .job)
        return Job(
            metadata: ObjectMeta(name: names.job, namespace: context.namespace, labels: labels),
            spec: Job.Spec(
                parallelism: replicas,
                completions: replicas,
                completionMode: replicas > 1 ? "Indexed" : nil,
                backoffLimit: 0,
                activeDeadlineSeconds: run.timeoutSeconds,
                ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
                template: PodTemplateSpec(
                    metadata: ObjectMeta(labels: podLabels(labels, codespec: run.job.codespec)), spec: pod)
            )
        )
    }

    static func service(_ context: Context, workers: Workers) -> Service {
        let (names, options) = (context.names, context.options)
        return Service(
            metadata: ObjectMeta(
                name: names.worker, namespace: context.namespace,
                labels: options.labels(runID: names.runID, role: .worker)),
            spec: Service.Spec(
                clusterIP: "None",
                selector: options.selectorLabels(runID: names.runID, role: .worker),
                ports: workers.ports.isEmpty
                    ? nil
                    : workers.ports.map {
                        Service.Port(
                            name: $0.servicePortName, port: $0.port, targetPort: .int($0.port), protocol: "TCP")
                    },
                publishNotReadyAddresses: true
            )
        )
    }

    static func statefulSet(_ context: Context, workers: Workers) -> StatefulSet {
        let (names, options) = (context.names, context.options)
        let codespec = workers.codespec
        let variables = RunEnvironment.worker(
            runID: names.runID, index: 0, ports: codespec.endpoints.map { (endpoint: $0, port: $0.port) })
        // The index differs per pod: the kubelet reads it from the pod-index label.
        let injected = variables.map { variable in
                variable.name == DiscoveryVariables.workerIndex
                    ? EnvVar(name: variable.name, fieldPath: podIndexFieldPath)
                    : EnvVar(name: variable.name, value: variable.value)
            }
        var container = container(named: workerContainerName, codespec: codespec, injected: injected)
        if !workers.ports.isEmpty {
            container.ports = workers.ports.map {
                ContainerPort(name: $0.containerPortName, containerPort: $0.port, protocol: "TCP")
            }
        }
        if let first = codespec.endpoints.first {
            container.readinessProbe = Probe(
                tcpSocket: Probe.TCPSocketAction(port: .int(first.port)), periodSeconds: readinessPeriodSeconds)
        }
        var pod = podSpec(
            container: container, codespec: codespec, nodePool: workers.target.nodePool, role: .worker, options: options)
        pod.restartPolicy = "Always"
        let selector = options.selectorLabels(runID: names.runID, role: .worker)
        let labels = options.labels(runID: names.runID, role: .worker)
        return StatefulSet(
            metadata: ObjectMeta(name: names.worker, namespace: context.namespace, labels: labels),
            spec: StatefulSet.Spec(
                replicas: workers.target.replicas,
                serviceName: names.worker,
                podManagementPolicy: "Parallel",
                selector: LabelSelector(matchLabels: selector),
                template: PodTemplateSpec(metadata: ObjectMeta(labels: podLabels(labels, codespec: codespec)), spec: pod)
            )
        )
    }

    // MARK: - Pods and containers

    /// A pod's labels: its object's, and whether workload identity applies, as Tyger sets it.
    static func podLabels(_ labels: [String: String], codespec: Codespec) -> [String: String] {
        var labels = labels
        labels[KubernetesRenderOptions.workloadIdentityLabel] = (codespec.identity ?? "").isEmpty ? "false" : "true"
        return labels
    }

    /// The codespec's container, its environment composed by ``RunEnvironment/compose(injected:codespec:)``;
    /// an injected variable may come from a field (the worker index) rather than a value.
    static func container(named name: String, codespec: Codespec, injected: [EnvVar]) -> Container {
        let byName = Dictionary(injected.map { ($0.name, $0) }) { first, _ in first }
        let variables = RunEnvironment.compose(injected: injected.map { (name: $0.name, value: $0.value ?? "") }, codespec: codespec)
        let env = variables.map { byName[$0.name] ?? EnvVar(name: $0.name, value: $0.value) }
        return Container(
            name: name,
            image: codespec.image,
            command: codespec.command.isEmpty ? nil : codespec.command,
            args: codespec.args.isEmpty ? nil : codespec.args,
            workingDir: codespec.workingDir,
            env: env,
            resources: resources(codespec.resources)
        )
    }

    /// The pod around `container`: placement, identity and the shared-memory volume.
    static func podSpec(
        container: Container, codespec: Codespec, nodePool: String?, role: RunRole, options: KubernetesRenderOptions
    ) -> PodSpec {
        var container = container
        var volumes: [Volume]?
        if let shm = codespec.resources?.shm {
            volumes = [Volume(name: shmVolumeName, emptyDir: Volume.EmptyDir(medium: "Memory", sizeLimit: shm.text))]
            container.volumeMounts = [VolumeMount(name: shmVolumeName, mountPath: "/dev/shm")]
        }
        var nodeSelector = options.nodeSelector
        if let nodePool { nodeSelector[options.nodePoolLabel] = nodePool }
        var tolerations = options.tolerations
        if codespec.resources?.gpu != nil, let gpu = options.gpuToleration { tolerations.append(gpu) }
        return PodSpec(
            containers: [container],
            nodeSelector: nodeSelector.isEmpty ? nil : nodeSelector,
            tolerations: tolerations.isEmpty ? nil : tolerations,
            serviceAccountName: options.identities.serviceAccount(identity: codespec.identity, role: role),
            volumes: volumes,
            enableServiceLinks: false
        )
    }

    static func resources(_ resources: CodespecResources?) -> ResourceRequirements? {
        guard let resources else { return nil }
        var requests: [String: String] = [:]
        var limits: [String: String] = [:]
        requests["cpu"] = resources.requests?.cpu?.text
        requests["memory"] = resources.requests?.memory?.text
        limits["cpu"] = resources.limits?.cpu?.text
        limits["memory"] = resources.limits?.memory?.text
        if let gpu = resources.gpu {
            requests[gpuResource] = gpu.text
            limits[gpuResource] = gpu.text
        }
        guard !requests.isEmpty || !limits.isEmpty else { return nil }
        return ResourceRequirements(requests: requests.isEmpty ? nil : requests, limits: limits.isEmpty ? nil : limits)
    }
}
