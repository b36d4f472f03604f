/// A change to a stored object, as the store records it.
struct StoreEvent: Sendable {
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    var kind: Kind
    var resource: ResourceType
    /// The object after the change; for a deletion, its last state with the deletion's resourceVersion.
    var object: JSONValue
    /// The object before the change, `nil` for an addition.
    var oldObject: JSONValue?
    var revision: Int
}

/// What a watch stream sends: one `{"type":...,"object":...}` line each.
struct WatchMessage: Sendable {
    var type: String
    var object: JSONValue

    var line: [UInt8] {
        let event: JSONValue = ["type": .string(type), "object": object]
        return Array((event.serialized + "\n").utf8)
    }
}

/// What a watch selects: one resource, optionally one namespace, and label and field selectors.
struct WatchFilter: Sendable {
    var resource: ResourceType
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        return labels.matches(object.labels) && fields.matches(object)
    }

    /// The event a watcher with this filter sees for a change, or `nil` when it sees none.
    ///
    /// Selectors turn changes into additions and deletions as objects move in and out of the
    /// selection, the way the API server's watch cache does.
    func message(for event: StoreEvent) -> WatchMessage? {
        guard event.resource == resource else { return nil }
        let now = matches(event.object)
        let before = event.oldObject.map(matches) ?? false
        switch event.kind {
        case .added: return now ? WatchMessage(type: "ADDED", object: event.object) : nil
        case .deleted: return now ? WatchMessage(type: "DELETED", object: event.object) : nil
        case .modified:
            switch (before, now) {
            case (true, true): return WatchMessage(type: "MODIFIED", object: event.object)
            case (false, true): return WatchMessage(type: "ADDED", object: event.object)
            case (true, false): return WatchMessage(type: "DELETED", object: event.object)
            case (false, false): return nil
            }
        }
    }
}

/// The watch side of the store: the bounded event history and everyone listening for changes.
///
/// It lives inside the store's lock, so publishing an event, replaying history to a new watcher
/// and registering it happen atomically: a watcher can neither miss an event nor see one twice.
struct WatchHub: Sendable {
    /// Events after this revision are all in ``history``; a watch from an older one gets 410.
    private(set) var compactedRevision = 0
    private var history: [StoreEvent] = []
    private var historyStart = 0
    private let historyLimit: Int

    private var watchers: [Int: (filter: WatchFilter, continuation: AsyncStream<WatchMessage>.Continuation)] = [:]
    private var observers: [Int: AsyncStream<StoreEvent?>.Continuation] = [:]
    private var nextID = 0

    init(historyLimit: Int) {
        self.historyLimit = max(1, historyLimit)
    }

    var watcherCount: Int { watchers.count }

    mutating func publish(_ event: StoreEvent) {
        if history.count - historyStart >= historyLimit {
            compactedRevision = history[historyStart].revision
            historyStart += 1
            // Shift out the dead prefix now and then rather than on every event.
            if historyStart > historyLimit {
                history.removeFirst(historyStart)
                historyStart = 0
            }
        }
        history.append(event)
        for (_, watcher) in watchers {
            if let message = watcher.filter.message(for: event) { watcher.continuation.yield(message) }
        }
        for (_, observer) in observers { observer.yield(event) }
    }

    /// Events after `revision` as `filter` sees them, or `nil` when some were compacted away.
    func replay(after revision: Int, filter: WatchFilter) -> [WatchMessage]? {
        guard revision >= compactedRevision else { return nil }
        return history[historyStart...].filter { $0.revision > revision }.compactMap(filter.message(for:))
    }

    mutating func addWatcher(_ filter: WatchFilter, _ continuation: AsyncStream<WatchMessage>.Continuation) -> Int {
        nextID += 1
        watchers[nextID] = (filter, continuation)
        return nextID
    }

    mutating func removeWatcher(_ id: Int) {
        watchers[id] = nil
    }

    /// Sends a BOOKMARK to one watcher; in order with its events because the lock is held.
    func bookmark(_ id: Int, revision: Int, annotations: [String: String] = [:]) {
        guard let watcher = watchers[id] else { return }
        var metadata: JSONValue = ["resourceVersion": .string(String(revision))]
        if !annotations.isEmpty { metadata["annotations"] = JSONValue(annotations) }
        let object: JSONValue = [
            "kind": .string(watcher.filter.resource.kind), "apiVersion": .string(watcher.filter.resource.groupVersion),
            "metadata": metadata,
        ]
        watcher.continuation.yield(WatchMessage(type: "BOOKMARK", object: object))
    }

    /// Unregisters every client watch stream; the caller finishes them once the lock is released,
    /// because finishing runs `onTermination`, which takes the lock again.
    mutating func dropWatchers() -> [AsyncStream<WatchMessage>.Continuation] {
        let dropped = watchers.values.map(\.continuation)
        watchers = [:]
        return dropped
    }

    /// Forgets all history, so that resuming from any revision up to `revision` gets 410 Gone.
    mutating func expire(through revision: Int) {
        history = []
        historyStart = 0
        compactedRevision = revision
    }

    mutating func addObserver(_ continuation: AsyncStream<StoreEvent?>.Continuation) -> Int {
        nextID += 1
        observers[nextID] = continuation
        return nextID
    }

    mutating func removeObserver(_ id: Int) {
        observers[id] = nil
    }

    /// Wakes every observer without an event, for changes outside the store (a simulated
    /// process starting to listen) that conditions being waited on may depend on.
    func poke() {
        for (_, observer) in observers { observer.yield(nil) }
    }

    /// Unregisters everyone; the caller finishes the returned streams outside the lock.
    mutating func removeAll() -> (watchers: [AsyncStream<WatchMessage>.Continuation], observers: [AsyncStream<StoreEvent?>.Continuation]) {
        let dropped = dropWatchers()
        let observed = Array(observers.values)
        observers = [:]
        return (dropped, observed)
    }
}
