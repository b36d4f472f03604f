/// The garbage collector and namespace controller: what happens after a DELETE.
///
/// - An object whose owners are all gone is deleted (Background propagation; also dependents
///   created with a reference to an owner that never existed).
/// - An owner deleted with Foreground propagation carries the `foregroundDeletion` finalizer:
///   its dependents are deleted first, and it goes once they are gone.
/// - A namespace being deleted has its contents deleted, then goes.
/// Orphan propagation needs nothing here: the registry removes the references synchronously.
final class GarbageCollector: Sendable {
    let registry: Registry
    private var store: ObjectStore { registry.store }

    init(registry: Registry) {
        self.registry = registry
    }

    func run() async {
        let (events, stop) = store.observe()
        defer { stop() }
        for resource in registry.catalog.resources {
            for object in store.list(resource, namespace: nil).items { examine(resource, object, removed: false) }
        }
        for await event in events {
            guard let event else { continue }
            examine(event.resource, event.object, removed: event.kind == .deleted)
        }
    }

    private func examine(_ resource: ResourceType, _ event: JSONValue, removed: Bool) {
        if removed {
            collectDependents(of: event)
            completeForegroundDeletions(waitingFor: event)
            completeNamespaceDeletion(event.namespace)
            return
        }
        // Events can be stale by the time they are handled (an Orphan deletion may have removed
        // the owner reference since); decisions are made on the object as it is now.
        guard let object = store.get(resource, namespace: event.namespace, name: event.name), object.uid == event.uid
        else { return }
        if resource == ResourceCatalog.namespaces, ObjectMeta.isDeleting(object) {
            emptyNamespace(object.name)
            return
        }
        if ObjectMeta.isDeleting(object),
            (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).contains("foregroundDeletion")
        {
            deleteDependents(of: object, resource: resource)
            return
        }
        let owners = object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
        if !owners.isEmpty, !ObjectMeta.isDeleting(object),
            owners.allSatisfy({ !store.exists(uid: $0["uid"]?.stringValue ?? "", namespace: object.namespace) })
        {
            delete(resource, object, policy: "Background")
        }
    }

    /// Background propagation: dependents whose every owner is now gone are deleted.
    private func collectDependents(of owner: JSONValue) {
        for (resource, dependent) in store.dependents(of: owner.uid, namespace: owner.namespace)
        where !ObjectMeta.isDeleting(dependent) {
            let owners = dependent[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
            let alive = owners.contains { store.exists(uid: $0["uid"]?.stringValue ?? "", namespace: dependent.namespace) }
            if !alive { delete(resource, dependent, policy: "Background") }
        }
    }

    private func deleteDependents(of owner: JSONValue, resource: ResourceType) {
        let dependents = store.dependents(of: owner.uid, namespace: owner.namespace)
        if dependents.isEmpty {
            removeForegroundFinalizer(resource, owner)
            return
        }
        for (dependentResource, dependent) in dependents where !ObjectMeta.isDeleting(dependent) {
            delete(dependentResource, dependent, policy: "Foreground")
        }
    }

    /// When a dependent goes, an owner waiting for it in Foreground deletion may be done.
    private func completeForegroundDeletions(waitingFor dependent: JSONValue) {
        for reference in dependent[path: ["metadata", "ownerReferences"]]?.arrayValue ?? [] {
            guard let apiVersion = reference["apiVersion"]?.stringValue, let kind = reference["kind"]?.stringValue,
                let name = reference["name"]?.stringValue,
                let resource = registry.catalog.resource(apiVersion: apiVersion, kind: kind),
                let owner = store.get(resource, namespace: resource.namespaced ? dependent.namespace : "", name: name),
                owner.uid == reference["uid"]?.stringValue, ObjectMeta.isDeleting(owner)
            else { continue }
            if store.dependents(of: owner.uid, namespace: owner.namespace).isEmpty {
                removeForegroundFinalizer(resource, owner)
            }
        }
    }

    private func removeForegroundFinalizer(_ resource: ResourceType, _ owner: JSONValue) {
        _ = try? store.mutate(resource, namespace: owner.namespace, name: owner.name) { current in
            guard var object = current, object.uid == owner.uid else { return .keep }
            let finalizers = (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).filter {
                $0 != "foregroundDeletion"
            }
            if finalizers.isEmpty { return .remove }
            object[path: ["metadata", "finalizers"]] = .array(finalizers)
            return .put(object)
        }
    }

    private func emptyNamespace(_ namespace: String) {
        let contents = store.contents(ofNamespace: namespace)
        if contents.isEmpty {
            finishNamespace(namespace)
            return
        }
        for (resource, object) in contents where !ObjectMeta.isDeleting(object) {
            delete(resource, object, policy: "Background")
        }
    }

    private func completeNamespaceDeletion(_ namespace: String) {
        guard !namespace.isEmpty,
            let object = store.get(ResourceCatalog.namespaces, namespace: "", name: namespace),
            ObjectMeta.isDeleting(object), store.contents(ofNamespace: namespace).isEmpty
        else { return }
        finishNamespace(namespace)
    }

    private func finishNamespace(_ namespace: String) {
        guard let object = store.get(ResourceCatalog.namespaces, namespace: "", name: namespace) else { return }
        registry.finishDeletion(ResourceCatalog.namespaces, namespace: "", name: namespace, uid: object.uid)
    }

    private func delete(_ resource: ResourceType, _ object: JSONValue, policy: String) {
        _ = try? registry.delete(
            resource, namespace: object.namespace, name: object.name,
            options: DeleteOptions(propagationPolicy: policy, preconditionUID: object.uid))
    }
}
