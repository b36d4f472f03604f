/// Names an object that owns another, so that deleting the owner garbage-collects the
/// dependent (`metadata.ownerReferences`).
///
/// The owner must be in the same namespace, and `uid` must be the owner's actual UID, known
/// only once the owner has been created.
public struct OwnerReference: Sendable, Hashable, Codable {
    /// The owner's API version, such as `batch/v1`.
    public var apiVersion: String
    /// The owner's kind, such as `Job`.
    public var kind: String
    /// The owner's name.
    public var name: String
    /// The owner's UID, as the API server assigned it.
    public var uid: String
    /// Whether the owner is the managing controller of the dependent.
    public var controller: Bool?
    /// Whether foreground deletion of the owner waits for this dependent.
    public var blockOwnerDeletion: Bool?

    /// Creates an owner reference.
    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}
