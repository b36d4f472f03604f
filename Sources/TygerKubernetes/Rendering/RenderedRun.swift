/// The Kubernetes objects that execute one run, as ``RunRenderer`` makes them.
///
/// A run without workers is one Job. A distributed run adds a headless Service and a
/// StatefulSet for the workers, whatever their replica count. When the discovery lists are
/// too long for the job's environment (more than about 1,600 workers, see
/// ``DiscoveryVariables``), it also adds one ConfigMap per list (``discoveryConfigMaps``,
/// `run-<id>-discovery-<n>`): one more object for the worker nodes and one per endpoint,
/// however many replicas there are.
///
/// ## Creation order and ownership
/// Create the ``job`` first: its UID, assigned by the API server, is what the worker objects
/// name as their owner, so that deleting the Job (by hand, or by `ttlSecondsAfterFinished`)
/// garbage-collects them. Then create the objects of ``withOwner(jobUID:)``: the discovery
/// ConfigMaps, then the Service before the StatefulSet, so each worker's DNS name exists when
/// its pod starts. ``all`` lists the objects in that order. The job's pods wait in their init
/// container until every worker endpoint accepts connections, so creating the Job before the
/// workers is safe; a job pod created before its ConfigMaps waits for them too, because the
/// kubelet retries a missing ConfigMap volume until it appears.
///
/// The offline rendering (``RunRenderer/render(runID:run:options:)`` and ``yaml()`` before
/// creation) has no `ownerReferences`: a reference needs the Job's real UID, and a
/// placeholder would make objects the API server rejects or, worse, ties them to nothing.
public struct RenderedRun: Sendable, Hashable {
    /// The run's Job: the job codespec, `run-<id>-job`.
    public var job: Job
    /// The headless Service giving each worker replica its DNS name, `run-<id>-worker`.
    public var workerService: Service?
    /// The worker replicas, `run-<id>-worker`.
    public var workerStatefulSet: StatefulSet?
    /// The discovery lists too long for the environment, one ConfigMap per list
    /// (`run-<id>-discovery-<n>`), mounted in the job's container; empty while they fit.
    public var discoveryConfigMaps: [ConfigMap]

    /// Creates a rendered run.
    public init(
        job: Job, workerService: Service? = nil, workerStatefulSet: StatefulSet? = nil,
        discoveryConfigMaps: [ConfigMap] = []
    ) {
        self.job = job
        self.workerService = workerService
        self.workerStatefulSet = workerStatefulSet
        self.discoveryConfigMaps = discoveryConfigMaps
    }

    /// Every object, in creation order: Job, discovery ConfigMaps, Service, StatefulSet.
    public var all: [any KubernetesObject] {
        var objects: [any KubernetesObject] = [job]
        objects += discoveryConfigMaps as [any KubernetesObject]
        if let workerService { objects.append(workerService) }
        if let workerStatefulSet { objects.append(workerStatefulSet) }
        return objects
    }

    /// The run with the discovery ConfigMaps, worker Service and StatefulSet owned by the
    /// created Job, so that they are garbage-collected with it.
    ///
    /// ```swift
    /// let created = try await client.create(rendered.job)
    /// let owned = rendered.withOwner(jobUID: created.metadata.uid!)
    /// ```
    ///
    /// The reference is neither `controller` (the Job controller does not manage these
    /// objects) nor `blockOwnerDeletion` (which, under the OwnerReferencesPermissionEnforcement
    /// admission plugin, needs permission to update `jobs/finalizers`).
    public func withOwner(jobUID: String) -> RenderedRun {
        let owner = OwnerReference(
            apiVersion: Job.objectAPIVersion,
            kind: Job.objectKind,
            name: job.metadata.name ?? "",
            uid: jobUID,
            controller: false,
            blockOwnerDeletion: false
        )
        var owned = self
        owned.workerService?.metadata.ownerReferences = [owner]
        owned.workerStatefulSet?.metadata.ownerReferences = [owner]
        for index in owned.discoveryConfigMaps.indices {
            owned.discoveryConfigMaps[index].metadata.ownerReferences = [owner]
        }
        return owned
    }
}
