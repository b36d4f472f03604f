import Foundation
import Synchronization

/// How a DELETE was asked for.
struct DeleteOptions: Sendable {
    /// `Background`, `Foreground` or `Orphan`; `nil` for the resource's default.
    var propagationPolicy: String?
    var gracePeriodSeconds: Int?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var dryRun = false
}

/// What a DELETE did.
struct DeleteOutcome: Sendable {
    /// The object as it is now (still present, waiting for finalizers or a grace period) or as it was.
    var object: JSONValue
    /// Whether it is gone from the store.
    var removed: Bool
    /// `Warning` headers for the client.
    var warnings: [String] = []
}

/// The API server's registry: Kubernetes semantics on top of the raw ``ObjectStore``.
///
/// HTTP requests and the simulated controllers both go through here, so a pod the Job
/// controller creates is defaulted, validated and admitted exactly like one a client creates.
final class Registry: Sendable {
    let store: ObjectStore
    let catalog: ResourceCatalog
    /// Whether pods are deleted gracefully (the simulated kubelet finishes them) or at once.
    let gracefulPodDeletion: Bool

    /// Object uid → field manager → the fields its last server-side apply set.
    private let appliedFields = Mutex<[String: [String: Set<ServerSideApply.FieldPath>]]>([:])

    init(store: ObjectStore, catalog: ResourceCatalog, gracefulPodDeletion: Bool) {
        self.store = store
        self.catalog = catalog
        self.gracefulPodDeletion = gracefulPodDeletion
    }

    /// The warning the API server sends when a batch/v1 Job is deleted without a propagation policy.
    static let jobOrphanWarning =
        "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove "
        + "them or set propagationPolicy=Orphan to suppress this warning"

    // MARK: Reading

    func get(_ resource: ResourceType, namespace: String, name: String) throws(APIError) -> JSONValue {
        guard let object = store.get(resource, namespace: namespace, name: name) else {
            throw APIError.notFound(resource, name: name)
        }
        return object
    }

    func list(
        _ resource: ResourceType, namespace: String?, labels: LabelSelector = .everything,
        fields: FieldSelector = .everything, limit: Int? = nil, continueToken: String? = nil
    ) throws(APIError) -> JSONValue {
        let (all, revision) = store.list(resource, namespace: namespace)
        var items = all.filter { labels.matches($0.labels) && fields.matches($0) }
        if let continueToken, !continueToken.isEmpty {
            guard let data = Data(base64Encoded: continueToken),
                let token = try? JSONValue(parsing: data), let start = token["start"]?.stringValue,
                let tokenRevision = token["rv"]?.intValue
            else {
                throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            }
            if tokenRevision < store.compactedRevision {
                throw APIError.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start "
                        + "a new list without the continue parameter, or use the continue token in this response to "
                        + "retrieve the remainder of the results. Continuing with the provided token results in an "
                        + "inconsistent list - objects that were created, modified, or deleted between the time the "
                        + "first chunk was returned and now may show up in the list.")
            }
            items = items.filter { "\($0.namespace)/\($0.name)" > start }
        }
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if let limit, limit > 0, items.count > limit {
            let last = items[limit - 1]
            let token: JSONValue = ["rv": JSONValue(revision), "start": .string("\(last.namespace)/\(last.name)")]
            metadata["continue"] = .string(token.serializedData.base64EncodedString())
            metadata["remainingItemCount"] = JSONValue(items.count - limit)
            items = Array(items.prefix(limit))
        }
        // The API server leaves kind and apiVersion out of list items; clients must not need them.
        let stripped = items.map { item -> JSONValue in
            var item = item
            item["kind"] = nil
            item["apiVersion"] = nil
            return item
        }
        return [
            "kind": .string(resource.listKind), "apiVersion": .string(resource.groupVersion), "metadata": metadata,
            "items": .array(stripped),
        ]
    }

    // MARK: Creating

    @discardableResult
    func create(_ resource: ResourceType, namespace: String, body: JSONValue, dryRun: Bool = false) throws(APIError)
        -> JSONValue
    {
        let object = try prepareForCreate(resource, namespace: namespace, body: body)
        if dryRun {
            if store.get(resource, namespace: object.namespace, name: object.name) != nil {
                throw APIError.alreadyExists(resource, name: object.name)
            }
            return object
        }
        let created = try store.mutate(resource, namespace: object.namespace, name: object.name) { current throws(APIError) in
            if current != nil { throw APIError.alreadyExists(resource, name: object.name) }
            return .put(object)
        }!
        if resource == ResourceCatalog.namespaces { ensureDefaultServiceAccount(in: created.name) }
        return created
    }

    /// Checks and completes a new object, without storing it.
    private func prepareForCreate(_ resource: ResourceType, namespace: String, body: JSONValue) throws(APIError)
        -> JSONValue
    {
        guard body.objectValue != nil else {
            throw APIError.badRequest("Object 'Kind' is missing in '\(body.serialized.prefix(200))'")
        }
        var object = try checkedTypeMeta(body, resource: resource)
        var metadata = object["metadata"] ?? [:]
        if resource.namespaced {
            if let given = metadata["namespace"]?.stringValue, !given.isEmpty, given != namespace {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
            try checkNamespaceAcceptsContent(namespace)
        } else {
            metadata["namespace"] = nil
        }
        if (metadata["name"]?.stringValue ?? "").isEmpty, let prefix = metadata["generateName"]?.stringValue,
            !prefix.isEmpty
        {
            metadata["name"] = .string(ObjectMeta.generatedName(prefix))
        }
        metadata["uid"] = .string(ObjectMeta.newUID())
        metadata["creationTimestamp"] = .string(ObjectMeta.timestamp())
        metadata["generation"] = 1
        for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"] {
            metadata[field] = nil
        }
        object["metadata"] = metadata
        if resource.hasStatus { object["status"] = Defaults.initialStatus(resource) }
        Defaults.apply(to: &object, resource: resource)
        let errors = Validation.validate(object, resource: resource, old: nil)
        if !errors.isEmpty { throw APIError.invalid(resource, name: object.name, causes: errors) }
        if resource == ResourceCatalog.pods { try admitPod(object) }
        return object
    }

    private func checkedTypeMeta(_ body: JSONValue, resource: ResourceType) throws(APIError) -> JSONValue {
        var object = body
        if let apiVersion = body["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != resource.groupVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(resource.groupVersion))")
        }
        if let kind = body["kind"]?.stringValue, !kind.isEmpty, kind != resource.kind {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(resource.kind))")
        }
        object["apiVersion"] = .string(resource.groupVersion)
        object["kind"] = .string(resource.kind)
        return object
    }

    private func checkNamespaceAcceptsContent(_ namespace: String) throws(APIError) {
        guard let object = store.get(ResourceCatalog.namespaces, namespace: "", name: namespace) else {
            throw APIError.notFound(ResourceCatalog.namespaces, name: namespace)
        }
        if ObjectMeta.isDeleting(object) {
            throw APIError.forbidden(
                "unable to create new content in namespace \(namespace) because it is being terminated")
        }
    }

    /// The ServiceAccount admission plugin: a pod may only name a service account that exists.
    private func admitPod(_ pod: JSONValue) throws(APIError) {
        let account = pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? "default"
        if store.get(ResourceCatalog.serviceAccounts, namespace: pod.namespace, name: account) == nil {
            throw APIError.forbidden(
                "pods \"\(pod.name)\" is forbidden: error looking up service account \(pod.namespace)/\(account): "
                    + "serviceaccount \"\(account)\" not found")
        }
    }

    /// What the service-account controller does for every namespace.
    func ensureDefaultServiceAccount(in namespace: String) {
        _ = try? store.mutate(ResourceCatalog.serviceAccounts, namespace: namespace, name: "default") { current in
            guard current == nil else { return .keep }
            return .put([
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": [
                    "name": "default", "namespace": .string(namespace), "uid": .string(ObjectMeta.newUID()),
                    "creationTimestamp": .string(ObjectMeta.timestamp()),
                ],
            ])
        }
    }

    // MARK: Updating

    /// PUT: replaces the object, or only its status for the `status` subresource.
    func update(
        _ resource: ResourceType, namespace: String, name: String, body: JSONValue, subresource: String? = nil,
        dryRun: Bool = false
    ) throws(APIError) -> JSONValue {
        guard body.objectValue != nil else { throw APIError.badRequest("the body of an update must be an object") }
        if body.name != name {
            throw APIError.badRequest(
                "the name of the object (\(body.name)) does not match the name on the URL (\(name))")
        }
        let checked = try checkedTypeMeta(body, resource: resource)
        return try write(resource, namespace: namespace, name: name, dryRun: dryRun) { current throws(APIError) in
            guard let current else { throw APIError.notFound(resource, name: name) }
            let expected = checked.resourceVersion
            if !expected.isEmpty && expected != current.resourceVersion {
                throw APIError.conflict(resource, name: name)
            }
            return try self.finishUpdate(resource, proposed: checked, current: current, subresource: subresource)
        }
    }

    /// PATCH in any of the four content types; server-side apply creates the object when absent.
    func patch(
        _ resource: ResourceType, namespace: String, name: String, kind: Patch.Kind, patch: JSONValue,
        subresource: String? = nil, fieldManager: String?, dryRun: Bool = false
    ) throws(APIError) -> (object: JSONValue, created: Bool) {
        if kind == .apply {
            if (fieldManager ?? "").isEmpty {
                throw APIError(
                    code: 422, reason: "Invalid",
                    message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                    details: ["kind": "PatchOptions", "group": "meta.k8s.io"])
            }
            guard patch["apiVersion"] != nil, patch["kind"] != nil else {
                throw APIError.badRequest("apiVersion and kind must be set in an apply configuration")
            }
            if !patch.name.isEmpty, patch.name != name {
                throw APIError.badRequest(
                    "the name of the object (\(patch.name)) does not match the name on the URL (\(name))")
            }
        }
        var created = false
        var appliedTo: String?
        var applied = patch
        if kind == .apply {
            applied = try checkedTypeMeta(patch, resource: resource)
            applied[path: ["metadata", "name"]] = .string(name)
        }
        let creation: JSONValue? =
            kind == .apply && subresource == nil && store.get(resource, namespace: namespace, name: name) == nil
            ? try prepareForCreate(resource, namespace: namespace, body: applied) : nil
        let object = try write(resource, namespace: namespace, name: name, dryRun: dryRun) { current throws(APIError) in
            guard let current else {
                guard let creation else { throw APIError.notFound(resource, name: name) }
                created = true
                appliedTo = creation.uid
                return creation
            }
            var patched = try Patch.apply(kind, patch: applied, to: current)
            if kind == .apply {
                let previous = self.appliedFields.withLock { $0[current.uid]?[fieldManager ?? ""] } ?? []
                patched = ServerSideApply.removing(previous.subtracting(ServerSideApply.fields(of: applied)), from: patched)
                appliedTo = current.uid
            }
            let expected = patched.resourceVersion
            if !expected.isEmpty && expected != current.resourceVersion {
                throw APIError.conflict(resource, name: name)
            }
            patched[path: ["metadata", "resourceVersion"]] = nil
            return try self.finishUpdate(resource, proposed: patched, current: current, subresource: subresource)
        }
        if created, resource == ResourceCatalog.namespaces { ensureDefaultServiceAccount(in: name) }
        if kind == .apply, !dryRun, let appliedTo {
            let fields = ServerSideApply.fields(of: applied)
            appliedFields.withLock { $0[appliedTo, default: [:]][fieldManager ?? ""] = fields }
        }
        return (object, created)
    }

    /// Runs `decide` atomically; with `dryRun`, computes the result but stores nothing.
    private func write(
        _ resource: ResourceType, namespace: String, name: String, dryRun: Bool,
        _ decide: (JSONValue?) throws(APIError) -> JSONValue
    ) throws(APIError) -> JSONValue {
        if dryRun {
            return try decide(store.get(resource, namespace: namespace, name: name))
        }
        var removedObject: JSONValue?
        let stored = try store.mutate(resource, namespace: namespace, name: name) { current throws(APIError) in
            let next = try decide(current)
            // Removing the last finalizer of an object being deleted completes its deletion.
            if ObjectMeta.isDeleting(next), (next[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty,
                !(resource == ResourceCatalog.pods && gracefulPodDeletion), resource != ResourceCatalog.namespaces
            {
                removedObject = next
                return .remove
            }
            return .put(next)
        }
        return removedObject ?? stored!
    }

    /// Carries over what clients cannot change, bumps `generation`, and validates.
    private func finishUpdate(
        _ resource: ResourceType, proposed: JSONValue, current: JSONValue, subresource: String?
    ) throws(APIError) -> JSONValue {
        var next: JSONValue
        if subresource == "status" {
            next = current
            next["status"] = proposed["status"]
        } else {
            next = proposed
            var metadata = next["metadata"] ?? [:]
            for field in ["uid", "creationTimestamp", "namespace", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                metadata[field] = current[path: ["metadata", field]]
            }
            metadata["resourceVersion"] = nil
            next["metadata"] = metadata
            if resource.hasStatus { next["status"] = current["status"] }
            next["apiVersion"] = .string(resource.groupVersion)
            next["kind"] = .string(resource.kind)
            if ObjectMeta.isDeleting(current) {
                // Finalizers may only be removed while an object is being deleted.
                let kept = current[path: ["metadata", "finalizers"]]?.arrayValue ?? []
                let proposedFinalizers = next[path: ["metadata", "finalizers"]]?.arrayValue ?? []
                next[path: ["metadata", "finalizers"]] = .array(proposedFinalizers.filter(kept.contains))
                if next[path: ["metadata", "finalizers"]] == [] { next[path: ["metadata", "finalizers"]] = nil }
            }
        }
        if Self.specPart(next) != Self.specPart(current) {
            next[path: ["metadata", "generation"]] = JSONValue((current[path: ["metadata", "generation"]]?.intValue ?? 1) + 1)
        }
        let errors = Validation.validate(next, resource: resource, old: current)
        if !errors.isEmpty { throw APIError.invalid(resource, name: current.name, causes: errors) }
        return next
    }

    /// Everything but metadata and status: what `generation` counts changes of.
    private static func specPart(_ object: JSONValue) -> JSONValue {
        var object = object
        for field in ["metadata", "status", "kind", "apiVersion"] { object[field] = nil }
        return object
    }

    /// Changes an object outside the API (controllers writing status); `nil` when it is gone.
    @discardableResult
    func modify(_ resource: ResourceType, namespace: String, name: String, uid: String? = nil, _ change: (inout JSONValue) -> Void)
        -> JSONValue?
    {
        try? store.mutate(resource, namespace: namespace, name: name) { current in
            guard var object = current, uid == nil || object.uid == uid else { return .keep }
            change(&object)
            return .put(object)
        }
    }

    // MARK: Deleting

    func delete(_ resource: ResourceType, namespace: String, name: String, options: DeleteOptions) throws(APIError)
        -> DeleteOutcome
    {
        guard let existing = store.get(resource, namespace: namespace, name: name) else {
            throw APIError.notFound(resource, name: name)
        }
        var warnings: [String] = []
        var policy = options.propagationPolicy
        if policy == nil, resource == ResourceCatalog.jobs {
            // batch/v1 Jobs orphan their pods by default, for compatibility; the API server warns.
            policy = "Orphan"
            warnings.append(Self.jobOrphanWarning)
        }
        if let policy, !["Background", "Foreground", "Orphan"].contains(policy) {
            throw APIError(
                code: 422, reason: "Invalid",
                message: "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")
        }
        if let uid = options.preconditionUID, uid != existing.uid {
            throw APIError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(resource.qualifiedPlural) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(existing.uid)",
                details: APIError.details(resource, name: name))
        }
        if let version = options.preconditionResourceVersion, version != existing.resourceVersion {
            throw APIError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(resource.qualifiedPlural) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(existing.resourceVersion)",
                details: APIError.details(resource, name: name))
        }
        if options.dryRun { return DeleteOutcome(object: existing, removed: false, warnings: warnings) }

        if policy == "Orphan" { orphanDependents(of: existing, namespace: namespace) }
        let graceful = resource == ResourceCatalog.pods && gracefulPodDeletion && options.gracePeriodSeconds != 0
            && existing[path: ["spec", "nodeName"]] != nil
        // Looked up before taking the store's lock, which `mutate` holds while deciding.
        let hasDependents = policy == "Foreground" && !store.dependents(of: existing.uid, namespace: namespace).isEmpty
        var removed = false
        let result = try store.mutate(resource, namespace: namespace, name: name) { current throws(APIError) in
            guard var object = current else { throw APIError.notFound(resource, name: name) }
            var finalizers = object[path: ["metadata", "finalizers"]]?.arrayValue ?? []
            if hasDependents, !finalizers.contains("foregroundDeletion") {
                finalizers.append("foregroundDeletion")
            }
            let alreadyDeleting = ObjectMeta.isDeleting(object)
            if resource == ResourceCatalog.namespaces {
                object["status"] = ["phase": "Terminating"]
            } else if finalizers.isEmpty && !graceful {
                removed = true
                return .remove
            }
            if !finalizers.isEmpty { object[path: ["metadata", "finalizers"]] = .array(finalizers) }
            if !alreadyDeleting {
                let grace = graceful ? (options.gracePeriodSeconds ?? object[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30) : 0
                object[path: ["metadata", "deletionTimestamp"]] = .string(
                    ObjectMeta.timestamp(Date().addingTimeInterval(Double(grace))))
                object[path: ["metadata", "deletionGracePeriodSeconds"]] = JSONValue(grace)
            }
            return .put(object)
        }!
        return DeleteOutcome(object: result, removed: removed, warnings: warnings)
    }

    /// Removes an object whose deletion is complete (a pod whose containers stopped), if it is still the same object.
    func finishDeletion(_ resource: ResourceType, namespace: String, name: String, uid: String) {
        _ = try? store.mutate(resource, namespace: namespace, name: name) { current in
            guard let current, current.uid == uid else { return .keep }
            return .remove
        }
    }

    /// What the garbage collector does for `Orphan`: dependents lose their reference to the owner.
    private func orphanDependents(of owner: JSONValue, namespace: String) {
        for (resource, dependent) in store.dependents(of: owner.uid, namespace: namespace) {
            modify(resource, namespace: dependent.namespace, name: dependent.name) { object in
                let references = object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                let kept = references.filter { $0["uid"]?.stringValue != owner.uid }
                object[path: ["metadata", "ownerReferences"]] = kept.isEmpty ? nil : .array(kept)
            }
        }
    }

    /// The `Status` a DELETE returns when the object is gone at once (pods return the object instead).
    static func successStatus(_ resource: ResourceType, object: JSONValue) -> JSONValue {
        var details = APIError.details(resource, name: object.name)
        details["uid"] = .string(object.uid)
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details]
    }
}
