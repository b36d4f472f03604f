/// Writes `v1 Event`s the way controllers do, so `kubectl get events` and a backend's
/// diagnostics see why something did not happen (a pod that could not be created, ...).
enum EventRecorder {
    static func record(
        _ registry: Registry, involving object: JSONValue, resource: ResourceType, type: String, reason: String,
        message: String, component: String
    ) {
        let now = ObjectMeta.timestamp()
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["generateName": .string(object.name + "."), "namespace": .string(object.namespace)],
            "involvedObject": [
                "apiVersion": .string(resource.groupVersion), "kind": .string(resource.kind), "name": .string(object.name),
                "namespace": .string(object.namespace), "uid": .string(object.uid),
                "resourceVersion": .string(object.resourceVersion),
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
        _ = try? registry.create(ResourceCatalog.events, namespace: object.namespace, body: event)
    }
}
