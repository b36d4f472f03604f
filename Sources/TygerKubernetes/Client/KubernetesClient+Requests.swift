public import Foundation
import NIOCore
import NIOHTTP1
import TygerKit

extension KubernetesClient {
    /// How the garbage collector removes an object's dependents on delete.
    public enum PropagationPolicy: String, Sendable, Hashable, Codable {
        /// Delete the object now and its dependents in the background (what kubectl does).
        case background = "Background"
        /// Delete the dependents first; the object goes last.
        case foreground = "Foreground"
        /// Leave the dependents.
        case orphan = "Orphan"
    }

    /// Reads one object.
    ///
    /// - Parameter namespace: `nil` for the configuration's namespace; ignored for
    ///   cluster-scoped resources.
    /// - Throws: ``TygerError`` (`.backend`); a missing object has an underlying
    ///   ``KubernetesAPIError`` whose ``KubernetesAPIError/isNotFound`` is true.
    public func get<Object: Decodable & Sendable>(
        _ resource: KubernetesResource, name: String, namespace: String? = nil, as type: Object.Type = Object.self
    ) async throws -> Object {
        let call = Call(verb: "get", method: .GET, path: try objectPath(resource, name: name, namespace: namespace))
        let (_, body) = try await perform(call)
        return try decode(Object.self, from: body, call: call)
    }

    /// Lists objects, with their list's resource version for a following watch.
    ///
    /// - Parameters:
    ///   - namespace: `nil` for the configuration's namespace.
    ///   - allNamespaces: list a namespaced resource across every namespace.
    ///   - labelSelector: `app=x,tier!=db`, as kubectl's `-l`.
    ///   - fieldSelector: `metadata.name=x`, as kubectl's `--field-selector`.
    ///   - limit: the page size; `nil` for all at once.
    ///   - continueToken: the `metadata.continue` of the previous page.
    public func list<Object: Decodable & Sendable>(
        _ resource: KubernetesResource,
        namespace: String? = nil,
        allNamespaces: Bool = false,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        limit: Int? = nil,
        continue continueToken: String? = nil,
        as type: Object.Type = Object.self
    ) async throws -> ObjectList<Object> {
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { query.append(("continue", continueToken)) }
        let path = resource.collectionPath(
            namespace: allNamespaces ? nil : try checkedNamespace(namespace, for: resource))
        let call = Call(verb: "list", method: .GET, path: path, query: query)
        let (_, body) = try await perform(call)
        return try decode(ObjectList<Object>.self, from: body, call: call)
    }

    /// Creates an object (`POST`) and returns it as the server stored it.
    ///
    /// A `POST` is retried only after 429 or 503, which the API server answers before acting,
    /// or when no connection could be made; an ``KubernetesAPIError/isAlreadyExists`` answer
    /// after such a retry may mean the first attempt succeeded.
    public func create<Object: Codable & Sendable>(
        _ resource: KubernetesResource, object: Object, namespace: String? = nil
    ) async throws -> Object {
        let path = resource.collectionPath(namespace: try checkedNamespace(namespace, for: resource))
        let call = Call(
            verb: "create", method: .POST, path: path, body: try encode(object, what: "the object to create"))
        let (_, body) = try await perform(call)
        return try decode(Object.self, from: body, call: call)
    }

    /// Replaces an object (`PUT`). The object's `metadata.resourceVersion`, when set, makes
    /// the server refuse the write with a conflict (``KubernetesAPIError/isConflict``) if the
    /// object changed since it was read.
    public func replace<Object: Codable & Sendable>(
        _ resource: KubernetesResource, name: String, object: Object, namespace: String? = nil
    ) async throws -> Object {
        let call = Call(
            verb: "replace", method: .PUT, path: try objectPath(resource, name: name, namespace: namespace),
            body: try encode(object, what: "the replacement object"))
        let (_, body) = try await perform(call)
        return try decode(Object.self, from: body, call: call)
    }

    /// Changes an object with a JSON merge patch (RFC 7386, `application/merge-patch+json`):
    /// fields present are set, `null` removes a field, lists are replaced whole.
    public func patch<Object: Decodable & Sendable>(
        _ resource: KubernetesResource, name: String, namespace: String? = nil, mergePatch: Data,
        as type: Object.Type = Object.self
    ) async throws -> Object {
        let call = Call(
            verb: "patch", method: .PATCH, path: try objectPath(resource, name: name, namespace: namespace),
            body: mergePatch, contentType: "application/merge-patch+json")
        let (_, body) = try await perform(call)
        return try decode(Object.self, from: body, call: call)
    }

    /// Changes an object with a JSON merge patch encoded from `mergePatch`; optional
    /// properties that are `nil` are left out, so they leave the object's fields alone.
    public func patch<Object: Decodable & Sendable, Patch: Encodable & Sendable>(
        _ resource: KubernetesResource, name: String, namespace: String? = nil, mergePatch: Patch,
        as type: Object.Type = Object.self
    ) async throws -> Object {
        try await patch(
            resource, name: name, namespace: namespace, mergePatch: try encode(mergePatch, what: "the merge patch"),
            as: type)
    }

    /// Deletes an object, by default with background propagation as kubectl does.
    ///
    /// - Returns: `true` when the object was deleted (or its deletion began: objects with
    ///   finalizers stay until those finish); `false` when it did not exist (404), so that
    ///   cleanup code is idempotent and a retried delete whose first attempt succeeded is not
    ///   an error.
    @discardableResult
    public func delete(
        _ resource: KubernetesResource,
        name: String,
        namespace: String? = nil,
        propagationPolicy: PropagationPolicy = .background,
        gracePeriodSeconds: Int? = nil
    ) async throws -> Bool {
        let options = DeleteOptions(
            propagationPolicy: propagationPolicy.rawValue, gracePeriodSeconds: gracePeriodSeconds)
        let call = Call(
            verb: "delete", method: .DELETE, path: try objectPath(resource, name: name, namespace: namespace),
            body: try encode(options, what: "the delete options"))
        do {
            _ = try await perform(call)
            return true
        } catch let error as TygerError where error.kubernetesAPIError?.isNotFound == true {
            return false
        }
    }

    // MARK: Helpers

    /// `meta/v1` `DeleteOptions`, as kubectl sends it.
    private struct DeleteOptions: Encodable {
        var kind = "DeleteOptions"
        var apiVersion = "v1"
        var propagationPolicy: String
        var gracePeriodSeconds: Int?
    }

    func objectPath(_ resource: KubernetesResource, name: String, namespace: String?, subresource: String? = nil)
        throws(TygerError) -> String
    {
        guard !name.isEmpty else {
            throw TygerError(.backend, "A Kubernetes \(resource.plural) request needs an object name; it was empty")
        }
        guard RequestNames.isPathSegmentName(name) else {
            throw TygerError(
                .backend,
                "A Kubernetes \(resource.plural) request cannot name the object '\(name)'; \(RequestNames.objectNameRule)"
            )
        }
        return resource.objectPath(
            name: name, namespace: try checkedNamespace(namespace, for: resource), subresource: subresource)
    }

    func checkedNamespace(_ namespace: String?, for resource: KubernetesResource) throws(TygerError) -> String? {
        let resolved = resolvedNamespace(namespace, for: resource)
        if resource.namespaced, resolved?.isEmpty ?? true {
            throw TygerError(.backend, "A Kubernetes \(resource.plural) request needs a namespace; it was empty")
        }
        // Checked here, where every path is built, so no caller can send `../..` or `a/b`.
        if resource.namespaced, let resolved {
            try RequestNames.checkNamespace(resolved, place: "A Kubernetes \(resource.plural) request")
        }
        return resolved
    }

    func encode(_ value: some Encodable, what: String) throws(TygerError) -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw TygerError(.backend, "Could not encode \(what) as JSON: \(error)", underlying: error)
        }
    }

    func decode<Object: Decodable>(_ type: Object.Type, from body: ByteBuffer, call: Call) throws(TygerError) -> Object
    {
        do {
            return try JSONDecoder().decode(Object.self, from: Data(body.readableBytesView))
        } catch {
            countFailure()
            throw TygerError(
                .backend,
                "The Kubernetes API server's answer to \(call.method.rawValue) \(call.path) is not a valid \(Object.self): \(Self.decodingProblem(error))",
                underlying: error)
        }
    }

    /// Where and what, without the values (which could be secret data).
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                .joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)): required field '\(key.stringValue)' is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}
