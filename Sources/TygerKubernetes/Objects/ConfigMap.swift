/// A `v1` ConfigMap: string data in a namespace.
public struct ConfigMap: KubernetesObject {
    public static let objectAPIVersion = "v1"
    public static let objectKind = "ConfigMap"
    public static let resource = "configmaps"

    /// Always `v1` when created here.
    public var apiVersion: String
    /// Always `ConfigMap` when created here.
    public var kind: String
    public var metadata: ObjectMeta
    /// The stored values, by key.
    public var data: [String: String]?

    /// Creates a ConfigMap.
    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.apiVersion = Self.objectAPIVersion
        self.kind = Self.objectKind
        self.metadata = metadata
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, data
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeMetaKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try type.typeMeta(.apiVersion, default: Self.objectAPIVersion)
        kind = try type.typeMeta(.kind, default: Self.objectKind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        data = try container.decodeIfPresent([String: String].self, forKey: .data)
    }
}
