import Logging
import TygerKit

/// Keeps one list+watch going for a resource: resumes from the last resourceVersion when the
/// server ends a watch, and lists again when the version is too old (410 Gone), as
/// Kubernetes' informers do. No polling: every change arrives as a watch event.
struct ResourceFollower<Object: KubernetesObject>: Sendable {
    enum Change: Sendable {
        /// The full current set, after a (re)list.
        case snapshot([Object])
        case event(WatchEvent<Object>)
    }

    let client: KubernetesClient
    let resource: KubernetesResource
    let namespace: String
    var labelSelector: String?
    var fieldSelector: String?
    /// How long each watch request lasts before the server ends it and it is resumed.
    var watchSeconds = 300

    /// Calls `handle` for every change until it returns `false` or the task is cancelled.
    func run(from initialVersion: String?, _ handle: @Sendable (Change) async throws -> Bool) async throws {
        var version = initialVersion
        while !Task.isCancelled {
            if version == nil {
                let list = try await client.list(
                    resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                    as: Object.self)
                version = list.metadata.resourceVersion
                guard try await handle(.snapshot(list.items)) else { return }
            }
            do {
                let events = client.watch(
                    resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                    resourceVersion: version, timeoutSeconds: watchSeconds, as: Object.self)
                for try await event in events {
                    if let latest = event.object?.metadata.resourceVersion { version = latest }
                    if event.type == .bookmark { continue }
                    guard try await handle(.event(event)) else { return }
                }
                client.logger.debug(
                    "watch ended; resuming", metadata: ["kubernetes.resource": "\(resource)", "kubernetes.version": "\(version ?? "")"])
            } catch where KubernetesAPIError.from(error)?.isGone == true {
                client.logger.debug("watch history expired; listing again", metadata: ["kubernetes.resource": "\(resource)"])
                version = nil
            }
        }
    }
}
