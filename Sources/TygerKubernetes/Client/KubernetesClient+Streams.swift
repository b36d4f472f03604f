import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import TygerKit

extension KubernetesClient {
    /// Watches a collection: the API server sends each change as it happens.
    ///
    /// Start from the resource version of a ``list(_:namespace:allNamespaces:labelSelector:fieldSelector:limit:continue:as:)``
    /// to see every change after it. The stream finishes normally when the server ends the
    /// watch (after `timeoutSeconds`, or on its own schedule, typically 30–60 minutes), and
    /// throws when the connection fails or the server sends an `ERROR` event; a
    /// ``KubernetesAPIError/isGone`` error means the resource version is too old: list again
    /// and watch from the new one. Watches have no read timeout. Only opening the watch is
    /// retried. Stopping the iteration (or cancelling its task) closes the connection.
    ///
    /// - Parameters:
    ///   - namespace: `nil` for the configuration's namespace.
    ///   - allNamespaces: watch a namespaced resource across every namespace.
    ///   - resourceVersion: where to start; `nil` starts with synthetic `ADDED` events for
    ///     the objects that exist.
    ///   - timeoutSeconds: asks the server to end the watch after this long.
    ///   - allowBookmarks: asks for `BOOKMARK` events, which advance the resource version.
    public func watch<Object: Decodable & Sendable>(
        _ resource: KubernetesResource,
        namespace: String? = nil,
        allNamespaces: Bool = false,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        resourceVersion: String? = nil,
        timeoutSeconds: Int? = nil,
        allowBookmarks: Bool = true,
        as type: Object.Type = Object.self
    ) -> AsyncThrowingStream<WatchEvent<Object>, any Error> {
        var query: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }

        return lineStream(verb: "watch", streaming: true) { [query] client throws(TygerError) in
            let path = resource.collectionPath(
                namespace: allNamespaces ? nil : try client.checkedNamespace(namespace, for: resource))
            return Call(verb: "watch", method: .GET, path: path, query: query)
        } transform: { line, call throws(TygerError) in
            try Self.decodeWatchEvent(line, as: Object.self, call: call)
        }
    }

    /// The log of a pod's container, line by line (without the trailing newline).
    ///
    /// With `follow` the stream goes on while the container runs and has no read timeout;
    /// it finishes when the container ends.
    ///
    /// - Parameters:
    ///   - container: which container; required when the pod has several.
    ///   - previous: the log of the previous, terminated instance of the container.
    ///   - timestamps: prefix each line with an RFC 3339 timestamp.
    ///   - tailLines: only the last lines.
    ///   - sinceSeconds: only lines newer than this.
    ///   - sinceTime: only lines written at or after this moment, to the second (the API's
    ///     resolution; the first second may repeat lines written just before it).
    public func logs(
        pod: String,
        namespace: String? = nil,
        container: String? = nil,
        follow: Bool = false,
        previous: Bool = false,
        timestamps: Bool = false,
        tailLines: Int? = nil,
        sinceSeconds: Int? = nil,
        sinceTime: Date? = nil
    ) -> AsyncThrowingStream<String, any Error> {
        var query: [(String, String)] = []
        if let container, !container.isEmpty { query.append(("container", container)) }
        if follow { query.append(("follow", "true")) }
        if previous { query.append(("previous", "true")) }
        if timestamps { query.append(("timestamps", "true")) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        if let sinceSeconds { query.append(("sinceSeconds", String(sinceSeconds))) }
        if let sinceTime {
            let second = Date(timeIntervalSince1970: sinceTime.timeIntervalSince1970.rounded(.down))
            query.append(("sinceTime", KubernetesTime.string(from: second)))
        }

        return lineStream(verb: "logs", streaming: follow) { [query] client throws(TygerError) in
            let path = try client.objectPath(.pods, name: pod, namespace: namespace, subresource: "log")
            // Logs are text; errors still come as a JSON Status.
            return Call(verb: "logs", method: .GET, path: path, query: query, accept: "application/json, */*")
        } transform: { line, _ in
            String(decoding: line, as: UTF8.self)
        }
    }

    // MARK: Streaming machinery

    /// Opens `call` and turns each line of its body into an element (or none).
    private func lineStream<Element: Sendable>(
        verb: String,
        streaming: Bool,
        makeCall: @escaping @Sendable (KubernetesClient) throws(TygerError) -> Call,
        transform: @escaping @Sendable ([UInt8], Call) throws(TygerError) -> Element?
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        let task = Task {
            var currentCall: Call?
            do {
                let call = try makeCall(self)
                currentCall = call
                let response = try await self.open(call, streaming: streaming)
                var splitter = LineSplitter(maximumLineBytes: self.options.maximumResponseBytes)
                for try await chunk in response.body {
                    for line in try splitter.append(chunk) where !line.isEmpty || verb == "logs" {
                        if let element = try transform(line, call) { continuation.yield(element) }
                    }
                }
                if let last = splitter.finish(), let element = try transform(last, call) {
                    continuation.yield(element)
                }
                continuation.finish()
            } catch let error where Self.isCancellation(error) || Task.isCancelled {
                continuation.finish(throwing: CancellationError())
            } catch let error as TygerError {
                continuation.finish(throwing: error)
            } catch {
                if let currentCall {
                    self.countFailure()
                    continuation.finish(throwing: self.transportError(currentCall, error))
                } else {
                    continuation.finish(throwing: error)
                }
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The type and resource version of an event, read before (and without) decoding its object.
    private struct WatchEventHeader: Decodable {
        struct ObjectHeader: Decodable {
            struct Metadata: Decodable { var resourceVersion: String? }
            var metadata: Metadata?
        }
        var type: String
        var object: ObjectHeader?
    }

    private struct WatchEventBody<Object: Decodable>: Decodable {
        var object: Object
    }

    static func decodeWatchEvent<Object: Decodable & Sendable>(_ line: [UInt8], as type: Object.Type, call: Call)
        throws(TygerError) -> WatchEvent<Object>?
    {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }
        let data = Data(line)
        let decoder = JSONDecoder()
        let header: WatchEventHeader
        do {
            header = try decoder.decode(WatchEventHeader.self, from: data)
        } catch {
            throw TygerError(
                .backend,
                "A watch event from \(call.path) is not a valid event: \(decodingProblem(error))",
                underlying: error)
        }
        guard let eventType = WatchEvent<Object>.EventType(rawValue: header.type) else {
            throw TygerError(.backend, "A watch event from \(call.path) has the unknown type '\(header.type)'")
        }
        let resourceVersion = header.object?.metadata?.resourceVersion

        switch eventType {
        case .error:
            let status = (try? decoder.decode(WatchEventBody<KubernetesStatus>.self, from: data))?.object
            let apiError = KubernetesAPIError(
                statusCode: status?.code ?? 500,
                reason: status?.reason,
                message: status?.message ?? "the watch sent an ERROR event",
                status: status,
                method: "WATCH",
                path: call.path
            )
            throw apiError.tygerError
        case .bookmark:
            // A bookmark's object holds little more than its resource version; models with
            // required fields cannot decode it, and need not.
            let object = try? decoder.decode(WatchEventBody<Object>.self, from: data).object
            return WatchEvent(type: .bookmark, object: object, resourceVersion: resourceVersion)
        case .added, .modified, .deleted:
            do {
                let object = try decoder.decode(WatchEventBody<Object>.self, from: data).object
                return WatchEvent(type: eventType, object: object, resourceVersion: resourceVersion)
            } catch {
                throw TygerError(
                    .backend,
                    "A \(header.type) watch event from \(call.path) does not hold a valid \(Object.self): \(decodingProblem(error))",
                    underlying: error)
            }
        }
    }
}
