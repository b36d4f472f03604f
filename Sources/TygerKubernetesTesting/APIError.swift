/// A failed API call, rendered as the `v1 Status` object a real API server sends.
///
/// Messages, reasons and `details` follow the API server's wording, because clients (kubectl,
/// client-go, TygerKit's backend) branch on `reason` and `code` and show `message` to people.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    var details: JSONValue?
    /// Sent as the `Retry-After` header as well as in `details`.
    var retryAfterSeconds: Int?

    /// The `Status` object for the response body or a watch `ERROR` event.
    var status: JSONValue {
        var status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": JSONValue(code),
        ]
        var details = details ?? [:]
        if let retryAfterSeconds { details["retryAfterSeconds"] = JSONValue(retryAfterSeconds) }
        if details != [:] { status["details"] = details }
        // The API server leaves `reason` empty for codes without one; so does this server.
        if reason.isEmpty { status["reason"] = nil }
        return status
    }

    static func details(_ resource: ResourceType, name: String) -> JSONValue {
        var details: JSONValue = ["name": .string(name), "kind": .string(resource.plural)]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        return details
    }

    static func notFound(_ resource: ResourceType, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource.qualifiedPlural) \"\(name)\" not found",
            details: details(resource, name: name))
    }

    static func alreadyExists(_ resource: ResourceType, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedPlural) \"\(name)\" already exists",
            details: details(resource, name: name))
    }

    static func conflict(_ resource: ResourceType, name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(resource.qualifiedPlural) \"\(name)\": the object has been "
                + "modified; please apply your changes to the latest version and try again",
            details: details(resource, name: name))
    }

    /// 422 with one cause per field, worded as `field.ErrorList` prints.
    static func invalid(_ resource: ResourceType, name: String, causes: [FieldError]) -> APIError {
        let rendered = causes.map(\.description)
        let summary = rendered.count == 1 ? rendered[0] : "[" + rendered.joined(separator: ", ") + "]"
        var details = details(resource, name: name)
        details["kind"] = .string(resource.kind)
        details["causes"] = .array(
            causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
        return APIError(
            code: 422, reason: "Invalid", message: "\(resource.qualifiedKind) \"\(name)\" is invalid: \(summary)",
            details: details)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func methodNotAllowed(_ method: String, resource: ResourceType?) -> APIError {
        let target = resource.map { " on \($0.qualifiedPlural)" } ?? ""
        return APIError(
            code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method\(target): \(method)")
    }

    static func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(code: 403, reason: "Forbidden", message: message)
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    /// The error for an injected or simulated failure with an arbitrary HTTP status code.
    static func status(code: Int, message: String?, retryAfterSeconds: Int?) -> APIError {
        let (reason, defaultMessage): (String, String) =
            switch code {
            case 400: ("BadRequest", "the server rejected our request for an unknown reason")
            case 401: ("Unauthorized", "Unauthorized")
            case 403: ("Forbidden", "forbidden")
            case 404: ("NotFound", "the server could not find the requested resource")
            case 409: ("Conflict", "the server reported a conflict")
            case 410: ("Gone", "the resource is gone")
            case 422: ("Invalid", "the server rejected our request due to an error in our request")
            case 429: ("TooManyRequests", "Too many requests, please try again later.")
            case 500: ("InternalError", "Internal error occurred: injected fault")
            case 503: ("ServiceUnavailable", "the server is currently unable to handle the request")
            case 504: ("Timeout", "the server was unable to return a response in the time allotted")
            default: ("", "an error on the server has prevented the request from succeeding")
            }
        var details: JSONValue?
        if code == 500 { details = ["causes": [["message": .string(message ?? "injected fault")]]] }
        return APIError(
            code: code, reason: reason, message: message ?? defaultMessage, details: details,
            retryAfterSeconds: retryAfterSeconds)
    }
}

/// One invalid field in a 422 response.
struct FieldError: Sendable, CustomStringConvertible {
    var field: String
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueDuplicate`, ...
    var reason: String
    var message: String

    var description: String { "\(field): \(message)" }

    static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(field: field, reason: "FieldValueRequired", message: "Required value" + (detail.isEmpty ? "" : ": " + detail))
    }

    static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(field: field, reason: "FieldValueInvalid", message: "Invalid value: \(value.serialized): \(detail)")
    }

    static func notSupported(_ field: String, _ value: JSONValue, _ supported: [String]) -> FieldError {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return FieldError(
            field: field, reason: "FieldValueNotSupported",
            message: "Unsupported value: \(value.serialized): supported values: \(list)")
    }

    static func duplicate(_ field: String, _ value: JSONValue) -> FieldError {
        FieldError(field: field, reason: "FieldValueDuplicate", message: "Duplicate value: \(value.serialized)")
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(field: field, reason: "FieldValueForbidden", message: "Forbidden: \(detail)")
    }
}
