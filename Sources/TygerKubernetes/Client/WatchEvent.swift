/// One change seen by a watch: an object was added, modified or deleted, or a bookmark
/// marks how far the watch has come.
///
/// `ERROR` events are not delivered as values: the watch stream throws their `Status` as a
/// ``KubernetesAPIError`` (wrapped in a `TygerError`), where ``KubernetesAPIError/isGone``
/// tells the caller to list again and resume from the list's resource version.
public struct WatchEvent<Object: Sendable>: Sendable {
    /// The kind of change, as the API server spells it.
    public enum EventType: String, Sendable, Hashable, Codable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    /// The kind of change.
    public var type: EventType
    /// The object after the change (before it, for `DELETED`). `nil` only for a `BOOKMARK`
    /// whose object, which carries little more than `metadata.resourceVersion`, does not
    /// decode as `Object`.
    public var object: Object?
    /// The object's `metadata.resourceVersion`, read without decoding the object: resume a
    /// watch from the last one seen.
    public var resourceVersion: String?

    /// Creates an event.
    public init(type: EventType, object: Object?, resourceVersion: String?) {
        self.type = type
        self.object = object
        self.resourceVersion = resourceVersion
    }
}

extension WatchEvent: Equatable where Object: Equatable {}
extension WatchEvent: Hashable where Object: Hashable {}
