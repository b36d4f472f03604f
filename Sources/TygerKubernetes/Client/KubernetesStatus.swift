/// A `meta/v1` `Status`: what the API server answers when a request fails, and what a watch
/// sends in an `ERROR` event.
///
/// ```json
/// {"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404,
///  "details":{"name":"x","kind":"pods"}}
/// ```
public struct KubernetesStatus: Codable, Sendable, Hashable {
    /// More about the object the status is about.
    public struct Details: Codable, Sendable, Hashable {
        /// The name of the object, when there is one.
        public var name: String?
        /// The API group of the object.
        public var group: String?
        /// The kind (often the plural resource) of the object.
        public var kind: String?
        /// The UID of the object.
        public var uid: String?
        /// Seconds to wait before retrying, when the server suggests it.
        public var retryAfterSeconds: Int?
        /// Field-level causes, such as validation failures.
        public var causes: [Cause]?

        /// Creates details.
        public init(
            name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
            retryAfterSeconds: Int? = nil, causes: [Cause]? = nil
        ) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.retryAfterSeconds = retryAfterSeconds
            self.causes = causes
        }
    }

    /// One cause of a failure, such as an invalid field.
    public struct Cause: Codable, Sendable, Hashable {
        /// A machine-readable cause: `FieldValueInvalid`, `FieldValueRequired`.
        public var reason: String?
        /// What is wrong.
        public var message: String?
        /// The field path: `spec.template.spec.containers[0].image`.
        public var field: String?

        /// Creates a cause.
        public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// `Status`.
    public var kind: String?
    /// `v1`.
    public var apiVersion: String?
    /// `Success` or `Failure`.
    public var status: String?
    /// A human-readable description.
    public var message: String?
    /// A machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Expired`, `Gone`,
    /// `Invalid`, `Forbidden`, `Unauthorized`, `TooManyRequests`.
    public var reason: String?
    /// The HTTP status code it stands for.
    public var code: Int?
    /// More about the object.
    public var details: Details?

    /// Creates a status.
    public init(
        kind: String? = "Status", apiVersion: String? = "v1", status: String? = nil, message: String? = nil,
        reason: String? = nil, code: Int? = nil, details: Details? = nil
    ) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.details = details
    }
}
