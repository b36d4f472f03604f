/// A list of objects as the API server returns it (`PodList`, `JobList`...): the items and
/// the list's resource version, from which a watch continues.
public struct ObjectList<Object: Sendable>: Sendable {
    /// The list's `apiVersion`.
    public var apiVersion: String?
    /// The list's `kind`: `PodList`.
    public var kind: String?
    /// The resource version of the list and the continue token of the next page.
    public var metadata: ListMeta
    /// The objects.
    public var items: [Object]

    /// Creates a list.
    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ListMeta = ListMeta(), items: [Object] = []) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.items = items
    }
}

extension ObjectList {
    fileprivate enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, items
    }
}

extension ObjectList: Decodable where Object: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // An empty list may come as `"items": null`, which Go encodes for a nil slice.
        items = try container.decodeIfPresent([Object].self, forKey: .items) ?? []
    }
}

extension ObjectList: Encodable where Object: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(apiVersion, forKey: .apiVersion)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(items, forKey: .items)
    }
}
extension ObjectList: Equatable where Object: Equatable {}
extension ObjectList: Hashable where Object: Hashable {}

/// The metadata of a list (`meta/v1` `ListMeta`).
public struct ListMeta: Codable, Sendable, Hashable {
    /// The resource version of the list: watch from here to see every later change.
    public var resourceVersion: String?
    /// The token that fetches the next page, when the list was limited and more remain.
    public var `continue`: String?
    /// How many items remain after this page, when the server knows.
    public var remainingItemCount: Int?

    /// Creates list metadata.
    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}
