import Foundation
import Synchronization

/// A request as the HTTP layer hands it over.
struct HTTPRequest: Sendable {
    var method: String
    var path: String
    var query: [String: [String]]
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func parameter(_ name: String) -> String? { query[name]?.first }

    func flag(_ name: String) -> Bool {
        guard let value = parameter(name) else { return false }
        return value == "true" || value == "1"
    }

    /// Splits `path?query` and percent-decodes (`+` is a space, as Go's `url.Values` encodes it).
    init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.headers = headers
        self.body = body
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: [String]] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ text: Substring) -> String {
                    let spaced = text.replacingOccurrences(of: "+", with: " ")
                    return spaced.removingPercentEncoding ?? spaced
                }
                query[decode(keyValue[0]), default: []].append(keyValue.count > 1 ? decode(keyValue[1]) : "")
            }
        }
        self.query = query
    }
}

/// What the HTTP layer sends back: a complete body, or a stream written chunk by chunk.
struct HTTPResponse: Sendable {
    enum Body: Sendable {
        case bytes([UInt8])
        /// Each element is written and flushed as one chunk; the response ends with the stream.
        case stream(AsyncStream<[UInt8]>)
        /// Close the connection without answering.
        case close
    }

    var status: Int
    var headers: [(String, String)] = []
    var body: Body

    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: .bytes(value.serializedBytes))
    }

    static func error(_ error: APIError) -> HTTPResponse {
        var headers: [(String, String)] = []
        if let retry = error.retryAfterSeconds { headers.append(("Retry-After", String(retry))) }
        return json(error.status, status: error.code, headers: headers)
    }

    static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array(text.utf8)))
    }
}

/// Turns Kubernetes REST requests into registry calls: paths, verbs, query parameters, bodies.
struct Router: Sendable {
    let registry: Registry
    let logs: PodLogs
    let faults: FaultInjector
    let requestLog: RequestLog
    let version: (major: String, minor: String)
    let bookmarkInterval: Duration
    let serverAddress: @Sendable () -> String

    private var catalog: ResourceCatalog { registry.catalog }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let isWatch = request.flag("watch") || request.path.contains("/watch/")
        var faulted = false
        var response: HTTPResponse
        switch faults.fault(method: request.method, path: request.path, isWatch: isWatch) {
        case .status(let code, let retryAfter, let message)?:
            faulted = true
            response = .error(APIError.status(code: code, message: message, retryAfterSeconds: retryAfter))
        case .closeConnection?:
            faulted = true
            response = HTTPResponse(status: 0, body: .close)
        case .delay(let duration)?:
            try? await Task.sleep(for: duration)
            response = route(request)
        case nil:
            response = route(request)
        }
        requestLog.append(
            RecordedRequest(
                method: request.method, path: request.path, query: request.query.compactMapValues(\.first),
                contentType: request.header("Content-Type"), statusCode: response.status, faulted: faulted))
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        var segments = request.path.split(separator: "/").map(String.init)
        switch segments {
        case ["version"]:
            return .json(catalog.versionDocument(major: version.major, minor: version.minor))
        case ["healthz"], ["livez"], ["readyz"]:
            return .text("ok")
        case ["api"]:
            return .json(catalog.coreVersions(serverAddress: serverAddress()))
        case ["apis"]:
            return .json(catalog.groupList())
        default: break
        }
        var group = ""
        var version = ""
        if segments.first == "api", segments.count >= 2 {
            version = segments[1]
            segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 2 {
            group = segments[1]
            if segments.count == 2 {
                return catalog.group(group).map { .json($0) } ?? .error(.pathNotFound(request.path))
            }
            version = segments[2]
            segments.removeFirst(3)
        } else {
            return .error(.pathNotFound(request.path))
        }
        if segments.isEmpty {
            return catalog.resourceList(group: group, version: version).map { .json($0) } ?? .error(.pathNotFound(request.path))
        }
        var request = request
        if segments.first == "watch" {
            // The deprecated /watch/ path prefix, still understood by the API server.
            segments.removeFirst()
            request.query["watch"] = ["true"]
        }

        var namespace: String?
        if segments.count >= 3, segments[0] == "namespaces",
            catalog.resource(group: group, version: version, plural: segments[2])?.namespaced == true
        {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let resource = catalog.resource(group: group, version: version, plural: segments[0]) else {
            return .error(.pathNotFound(request.path))
        }
        let name = segments.count > 1 ? segments[1] : nil
        let subresource = segments.count > 2 ? segments[2] : nil
        guard segments.count <= 3 else { return .error(.pathNotFound(request.path)) }
        if resource.namespaced && namespace == nil && name != nil {
            return .error(.pathNotFound(request.path))
        }

        do throws(APIError) {
            if let name {
                if let subresource {
                    return try handleSubresource(request, resource, namespace: namespace ?? "", name: name, subresource)
                }
                return try handleObject(request, resource, namespace: namespace ?? "", name: name)
            }
            return try handleCollection(request, resource, namespace: namespace)
        } catch {
            return .error(error)
        }
    }

    // MARK: Collections

    private func handleCollection(_ request: HTTPRequest, _ resource: ResourceType, namespace: String?) throws(APIError)
        -> HTTPResponse
    {
        switch request.method {
        case "GET":
            let labels = try LabelSelector(parsing: request.parameter("labelSelector") ?? "")
            let fields = try FieldSelector(parsing: request.parameter("fieldSelector") ?? "", resource: resource)
            if request.flag("watch") {
                return try watch(request, resource, namespace: namespace, labels: labels, fields: fields)
            }
            let limit = request.parameter("limit").flatMap { Int($0) }
            let list = try registry.list(
                resource, namespace: namespace, labels: labels, fields: fields, limit: limit,
                continueToken: request.parameter("continue"))
            if TableConverter.wantsTable(request.header("Accept")) {
                return .json(
                    TableConverter.table(
                        list["items"]?.arrayValue ?? [], resource: resource, listMetadata: list["metadata"] ?? [:],
                        includeObject: request.parameter("includeObject")))
            }
            return .json(list)
        case "POST":
            guard let namespace = namespace ?? (resource.namespaced ? nil : "") else {
                throw APIError.methodNotAllowed("POST", resource: resource)
            }
            let body = try parseBody(request)
            let created = try registry.create(resource, namespace: namespace, body: body, dryRun: isDryRun(request))
            return .json(created, status: 201)
        case "DELETE":
            let labels = try LabelSelector(parsing: request.parameter("labelSelector") ?? "")
            let fields = try FieldSelector(parsing: request.parameter("fieldSelector") ?? "", resource: resource)
            let options = try deleteOptions(request)
            var deleted: [JSONValue] = []
            let list = try registry.list(resource, namespace: namespace, labels: labels, fields: fields)
            for item in list["items"]?.arrayValue ?? [] {
                if let outcome = try? registry.delete(resource, namespace: item.namespace, name: item.name, options: options) {
                    deleted.append(outcome.object)
                }
            }
            return .json([
                "kind": .string(resource.listKind), "apiVersion": .string(resource.groupVersion),
                "metadata": ["resourceVersion": .string(String(registry.store.revision))], "items": .array(deleted),
            ])
        default:
            throw APIError.methodNotAllowed(request.method, resource: resource)
        }
    }

    // MARK: Objects

    private func handleObject(_ request: HTTPRequest, _ resource: ResourceType, namespace: String, name: String)
        throws(APIError) -> HTTPResponse
    {
        switch request.method {
        case "GET":
            let object = try registry.get(resource, namespace: namespace, name: name)
            if TableConverter.wantsTable(request.header("Accept")) {
                return .json(
                    TableConverter.table(
                        [object], resource: resource, listMetadata: ["resourceVersion": .string(object.resourceVersion)],
                        includeObject: request.parameter("includeObject")))
            }
            return .json(object)
        case "PUT":
            return .json(
                try registry.update(resource, namespace: namespace, name: name, body: try parseBody(request), dryRun: isDryRun(request)))
        case "PATCH":
            return try patch(request, resource, namespace: namespace, name: name, subresource: nil)
        case "DELETE":
            let outcome = try registry.delete(resource, namespace: namespace, name: name, options: try deleteOptions(request))
            let headers = outcome.warnings.map { ("Warning", "299 - \"\($0)\"") }
            if outcome.removed {
                let body = resource == ResourceCatalog.pods ? outcome.object : Registry.successStatus(resource, object: outcome.object)
                return .json(body, headers: headers)
            }
            let pending = resource != ResourceCatalog.pods && !isDryRun(request)
            return .json(outcome.object, status: pending ? 202 : 200, headers: headers)
        default:
            throw APIError.methodNotAllowed(request.method, resource: resource)
        }
    }

    private func handleSubresource(
        _ request: HTTPRequest, _ resource: ResourceType, namespace: String, name: String, _ subresource: String
    ) throws(APIError) -> HTTPResponse {
        switch (subresource, request.method) {
        case ("status", "GET") where resource.hasStatus:
            return .json(try registry.get(resource, namespace: namespace, name: name))
        case ("status", "PUT") where resource.hasStatus:
            return .json(
                try registry.update(
                    resource, namespace: namespace, name: name, body: try parseBody(request), subresource: "status",
                    dryRun: isDryRun(request)))
        case ("status", "PATCH") where resource.hasStatus:
            return try patch(request, resource, namespace: namespace, name: name, subresource: "status")
        case ("log", "GET") where resource == ResourceCatalog.pods:
            return try podLog(request, namespace: namespace, name: name)
        case ("scale", "GET") where resource == ResourceCatalog.statefulSets:
            return .json(Self.scale(of: try registry.get(resource, namespace: namespace, name: name)))
        case ("scale", "PUT") where resource == ResourceCatalog.statefulSets,
            ("scale", "PATCH") where resource == ResourceCatalog.statefulSets:
            let current = Self.scale(of: try registry.get(resource, namespace: namespace, name: name))
            var desired = try parseBody(request)
            if request.method == "PATCH" {
                let contentType = request.header("Content-Type") ?? ""
                guard let kind = Patch.Kind(contentType: contentType), kind != .apply else {
                    throw APIError.unsupportedMediaType(contentType)
                }
                desired = try Patch.apply(kind, patch: desired, to: current)
            }
            guard let replicas = desired[path: ["spec", "replicas"]]?.intValue else {
                throw APIError.badRequest("spec.replicas is required in a Scale")
            }
            var change: JSONValue = ["spec": ["replicas": JSONValue(replicas)]]
            let expected = desired.resourceVersion
            if !expected.isEmpty { change[path: ["metadata", "resourceVersion"]] = .string(expected) }
            let (updated, _) = try registry.patch(
                resource, namespace: namespace, name: name, kind: .merge, patch: change, fieldManager: nil,
                dryRun: isDryRun(request))
            return .json(Self.scale(of: updated))
        case ("status", _), ("log", _), ("scale", _):
            throw APIError.methodNotAllowed(request.method, resource: resource)
        default:
            throw APIError.pathNotFound(request.path)
        }
    }

    private func patch(
        _ request: HTTPRequest, _ resource: ResourceType, namespace: String, name: String, subresource: String?
    ) throws(APIError) -> HTTPResponse {
        let contentType = request.header("Content-Type") ?? ""
        guard let kind = Patch.Kind(contentType: contentType) else { throw APIError.unsupportedMediaType(contentType) }
        let body = try parseBody(request, allowYAML: kind == .apply)
        let (object, created) = try registry.patch(
            resource, namespace: namespace, name: name, kind: kind, patch: body, subresource: subresource,
            fieldManager: request.parameter("fieldManager"), dryRun: isDryRun(request))
        return .json(object, status: created ? 201 : 200)
    }

    /// The autoscaling/v1 Scale view of a StatefulSet.
    static func scale(of set: JSONValue) -> JSONValue {
        let selector = (set[path: ["spec", "selector", "matchLabels"]]?.stringMap ?? [:]).sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        var metadata: JSONValue = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            metadata[field] = set[path: ["metadata", field]]
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": metadata,
            "spec": ["replicas": set[path: ["spec", "replicas"]] ?? 1],
            "status": ["replicas": set[path: ["status", "replicas"]] ?? 0, "selector": .string(selector)],
        ]
    }

    // MARK: Watch

    private func watch(
        _ request: HTTPRequest, _ resource: ResourceType, namespace: String?, labels: LabelSelector,
        fields: FieldSelector
    ) throws(APIError) -> HTTPResponse {
        let versionText = request.parameter("resourceVersion") ?? ""
        var version: Int?
        if !versionText.isEmpty {
            guard let parsed = Int(versionText), parsed >= 0 else {
                throw APIError.badRequest("invalid resource version: \(versionText)")
            }
            version = parsed
        }
        let bookmarks = request.flag("allowWatchBookmarks")
        let initialEvents = request.flag("sendInitialEvents")
        let timeout = request.parameter("timeoutSeconds").flatMap { Int($0) }
        let filter = WatchFilter(resource: resource, namespace: namespace, labels: labels, fields: fields)
        let asTable = TableConverter.wantsTable(request.header("Accept"))
        let includeObject = request.parameter("includeObject")
        let sentColumns = ColumnsSent()
        // Table watches carry each object as a one-row Table, column definitions in the first only.
        @Sendable func render(_ message: WatchMessage) -> [UInt8] {
            guard asTable, ["ADDED", "MODIFIED", "DELETED"].contains(message.type) else { return message.line }
            let table = TableConverter.table(
                [message.object], resource: resource,
                listMetadata: ["resourceVersion": .string(message.object.resourceVersion)],
                includeObject: includeObject, withColumns: sentColumns.first())
            return WatchMessage(type: message.type, object: table).line
        }
        let store = registry.store
        let interval = bookmarkInterval
        let (output, continuation) = AsyncStream<[UInt8]>.makeStream()

        guard let watch = store.watch(filter, resourceVersion: version, sendInitialEvents: initialEvents) else {
            let gone = APIError.expired("too old resource version: \(versionText) (\(store.compactedRevision))")
            continuation.yield(WatchMessage(type: "ERROR", object: gone.status).line)
            continuation.finish()
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(output))
        }
        let pump = Task {
            for message in watch.initial { continuation.yield(render(message)) }
            if initialEvents && bookmarks { store.bookmark(watch.id, annotations: ["k8s.io/initial-events-end": "true"]) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in watch.stream { continuation.yield(render(message)) }
                }
                if let timeout, timeout > 0 {
                    group.addTask { try? await Task.sleep(for: .seconds(timeout)) }
                }
                if bookmarks {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: interval)
                            if !Task.isCancelled { store.bookmark(watch.id) }
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            watch.stop()
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            watch.stop()
        }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")],
            body: .stream(output))
    }

    // MARK: Logs

    private func podLog(_ request: HTTPRequest, namespace: String, name: String) throws(APIError) -> HTTPResponse {
        let pod = try registry.get(ResourceCatalog.pods, namespace: namespace, name: name)
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let initContainers = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container: String
        if let requested = request.parameter("container"), !requested.isEmpty {
            guard containers.contains(requested) || initContainers.contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(name)")
            }
            container = requested
        } else if containers.count == 1 {
            container = containers[0]
        } else if let preferred = pod[path: ["metadata", "annotations", "kubectl.kubernetes.io/default-container"]]?.stringValue,
            containers.contains(preferred)
        {
            container = preferred
        } else {
            var message = "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]"
            if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
            throw APIError.badRequest(message)
        }
        let previous = request.flag("previous")
        if !logs.hasStarted(pod: pod.uid, container: container) {
            let statuses = (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? [])
                + (pod[path: ["status", "initContainerStatuses"]]?.arrayValue ?? [])
            let reason = statuses.first { $0["name"]?.stringValue == container }?[path: ["state", "waiting", "reason"]]?
                .stringValue ?? "ContainerCreating"
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(reason)")
        }
        let timestamps = request.flag("timestamps")
        let tail = request.parameter("tailLines").flatMap { Int($0) }
        let since = try Self.sinceTime(request)
        func render(_ line: PodLogs.Line) -> [UInt8] {
            Array(((timestamps ? Self.nanoTimestamp(line.time) + " " : "") + line.text + "\n").utf8)
        }
        // As the kubelet does: `sinceTime` first, then the last `tailLines` of what is left.
        func selected(_ lines: [PodLogs.Line]) -> [PodLogs.Line] {
            let recent = since.map { since in lines.filter { $0.time >= since } } ?? lines
            return tail.map { Array(recent.suffix(max(0, $0))) } ?? recent
        }
        if request.flag("follow") && !previous {
            guard let (existing, rest) = logs.follow(pod: pod.uid, container: container) else {
                return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .bytes([]))
            }
            let (output, continuation) = AsyncStream<[UInt8]>.makeStream()
            let shown = selected(existing)
            let pump = Task {
                for line in shown { continuation.yield(render(line)) }
                for await line in rest { continuation.yield(render(line)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in pump.cancel() }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .stream(output))
        }
        guard let lines = logs.lines(pod: pod.uid, container: container, previous: previous) else {
            throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
        }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/plain")], body: .bytes(selected(lines).flatMap(render)))
    }

    /// `sinceTime`, an RFC 3339 time in whole seconds as `metav1.Time` carries it.
    private static func sinceTime(_ request: HTTPRequest) throws(APIError) -> Date? {
        guard let text = request.parameter("sinceTime") else { return nil }
        guard let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) else {
            throw APIError.badRequest("parsing time \"\(text)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse")
        }
        return date
    }

    /// The kubelet's timestamp: RFC 3339 in UTC with nanoseconds, trailing zeros dropped (Go's RFC3339Nano).
    static func nanoTimestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanoseconds = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded())
        let whole = Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle())
        guard nanoseconds > 0 else { return whole }
        var fraction = String(String(min(nanoseconds, 999_999_999)).reversed().drop { $0 == "0" }.reversed())
        fraction = String(repeating: "0", count: 9 - String(min(nanoseconds, 999_999_999)).count) + fraction
        return whole.dropLast() + "." + fraction + "Z"
    }

    // MARK: Bodies and options

    private func parseBody(_ request: HTTPRequest, allowYAML: Bool = false) throws(APIError) -> JSONValue {
        let contentType = (request.header("Content-Type") ?? "application/json").lowercased()
        if contentType.contains("protobuf") || contentType.contains("cbor") {
            throw APIError.unsupportedMediaType(contentType)
        }
        do {
            return try JSONValue(parsing: request.body)
        } catch {
            if allowYAML || contentType.contains("yaml") {
                do {
                    return try YAMLReader.parse(String(decoding: request.body, as: UTF8.self))
                } catch {
                    throw APIError.badRequest("error converting YAML to JSON: \(error)")
                }
            }
            throw APIError.badRequest("the request body is not valid JSON: \(error)")
        }
    }

    private func isDryRun(_ request: HTTPRequest) -> Bool {
        request.parameter("dryRun") == "All"
    }

    private func deleteOptions(_ request: HTTPRequest) throws(APIError) -> DeleteOptions {
        var options = DeleteOptions()
        if !request.body.isEmpty, let body = try? JSONValue(parsing: request.body) {
            options.propagationPolicy = body["propagationPolicy"]?.stringValue
            if options.propagationPolicy == nil, let orphan = body["orphanDependents"]?.boolValue {
                options.propagationPolicy = orphan ? "Orphan" : "Background"
            }
            options.gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue
            options.preconditionUID = body[path: ["preconditions", "uid"]]?.stringValue
            options.preconditionResourceVersion = body[path: ["preconditions", "resourceVersion"]]?.stringValue
            if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        }
        if let policy = request.parameter("propagationPolicy") { options.propagationPolicy = policy }
        if let grace = request.parameter("gracePeriodSeconds").flatMap({ Int($0) }) { options.gracePeriodSeconds = grace }
        if isDryRun(request) { options.dryRun = true }
        return options
    }
}

/// Whether a Table watch already sent its column definitions.
private final class ColumnsSent: Sendable {
    private let sent = Mutex(false)

    /// `true` the first time only.
    func first() -> Bool {
        sent.withLock { sent in
            defer { sent = true }
            return !sent
        }
    }
}
