public import TygerKit

/// The API server answered a request with an error status (or a watch sent an `ERROR`
/// event): the HTTP status code and, when the body was a `Status`, its reason and message.
///
/// The client throws it wrapped in a ``TygerError`` with code `.backend` (its `underlying`);
/// get it back with ``TygerError/kubernetesAPIError`` or ``KubernetesAPIError/from(_:)``:
///
/// ```swift
/// do {
///     let job: Job = try await client.get(.jobs, name: "run-42")
/// } catch let error where KubernetesAPIError.from(error)?.isNotFound == true {
///     // not created yet
/// }
/// ```
public struct KubernetesAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code: 404, 409, 410, 422, 429, 500...
    public var statusCode: Int
    /// The `Status` reason when the server gave one: `NotFound`, `Conflict`, `Expired`...
    public var reason: String?
    /// What the server said, or the start of a body that was not a `Status`.
    public var message: String
    /// The whole `Status`, when the body was one.
    public var status: KubernetesStatus?
    /// The HTTP method of the request (`GET`, `POST`...); `WATCH` for a watch `ERROR` event.
    public var method: String
    /// The request path, without the query.
    public var path: String

    /// Creates an error.
    public init(
        statusCode: Int, reason: String? = nil, message: String, status: KubernetesStatus? = nil,
        method: String = "", path: String = ""
    ) {
        self.statusCode = statusCode
        self.reason = reason
        self.message = message
        self.status = status
        self.method = method
        self.path = path
    }

    /// The object does not exist (404).
    public var isNotFound: Bool { statusCode == 404 || reason == "NotFound" }
    /// The object was changed since it was read (409 `Conflict`): read it again and retry.
    public var isConflict: Bool { reason == "Conflict" || (statusCode == 409 && reason != "AlreadyExists") }
    /// An object with that name already exists (409 `AlreadyExists`).
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    /// The resource version asked for is too old (410 `Gone` or `Expired`): list again and
    /// watch from the list's resource version.
    public var isGone: Bool { statusCode == 410 || reason == "Gone" || reason == "Expired" }
    /// The credentials were refused (401) or lack the rights (403).
    public var isUnauthorized: Bool { statusCode == 401 || statusCode == 403 }

    public var description: String {
        var text = "The Kubernetes API server answered \(statusCode)"
        if let reason, !reason.isEmpty { text += " \(reason)" }
        if !method.isEmpty || !path.isEmpty { text += " to \(method) \(path)" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }

    /// This error as the ``TygerError`` (code `.backend`) that TygerKit APIs throw, with this
    /// error as its `underlying`.
    public var tygerError: TygerError {
        TygerError(.backend, description, underlying: self)
    }

    /// The API error in `error`: `error` itself, or the `underlying` of a ``TygerError``.
    public static func from(_ error: any Error) -> KubernetesAPIError? {
        if let apiError = error as? KubernetesAPIError { return apiError }
        if let tygerError = error as? TygerError { return tygerError.kubernetesAPIError }
        return nil
    }
}

extension TygerError {
    /// The Kubernetes API error underneath this error, if it came from the API server.
    public var kubernetesAPIError: KubernetesAPIError? {
        underlying as? KubernetesAPIError
    }
}
