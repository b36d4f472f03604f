import Foundation
public import TygerKit

/// A codespec store on the cluster, so a team shares versions: one ConfigMap per version,
/// `codespec-<hash of the name>-v<N>`, labelled with the name's hash and the version, in
/// the client's namespace.
///
/// Publishing a version creates its ConfigMap with `POST`; the API server refuses a second
/// object with that name, so when two clients race, the loser re-reads the latest and tries
/// again. Versions are never updated, so they are immutable.
///
/// ```swift
/// let store = backend.codespecStore   // or ConfigMapCodespecStore(client: client)
/// let stored = try await store.create(codespec)
/// ```
public struct ConfigMapCodespecStore: CodespecStore {
    /// The API client the store uses; its namespace is the store's.
    public let client: KubernetesClient
    private let labelDomain: String

    private static let dataKey = "codespec.json"

    /// Creates a store in the client's namespace.
    ///
    /// - Throws: ``TygerError`` when `labelDomain` is not a DNS subdomain: it prefixes label keys.
    public init(client: KubernetesClient, labelDomain: String = KubernetesRenderOptions().labelDomain)
        throws(TygerError)
    {
        guard KubernetesNameRules.isLabelKey("\(labelDomain)/codespec-version") else {
            throw TygerError(
                .backend,
                "the label domain '\(labelDomain)' of the codespec store is not a DNS subdomain, such as tyger.dev; it prefixes label keys"
            )
        }
        self.client = client
        self.labelDomain = labelDomain
    }

    /// The namespace the ConfigMaps live in: the client's.
    public var namespace: String { client.configuration.namespace }

    private var kindLabel: String { "\(labelDomain)/kind" }
    private var nameLabel: String { "\(labelDomain)/codespec" }
    private var versionLabel: String { "\(labelDomain)/codespec-version" }

    public func latestVersion(of name: String) async throws -> Codespec? {
        try await versions(of: name).last
    }

    public func version(_ version: Int, of name: String) async throws -> Codespec? {
        try await versions(of: name).first { $0.version == version }
    }

    public func latestVersions(_ query: CodespecQuery) async throws -> [Codespec] {
        let all = try await client.list(.configMaps, namespace: namespace, labelSelector: "\(kindLabel)=codespec", as: ConfigMap.self)
        var latest: [String: Codespec] = [:]
        for codespec in try all.items.compactMap(decode) {
            guard let name = codespec.name, query.matches(name) else { continue }
            if (latest[name]?.version ?? 0) < (codespec.version ?? 0) { latest[name] = codespec }
        }
        return Array(latest.sorted { $0.key < $1.key }.map(\.value).prefix(query.limit ?? .max))
    }

    public func publish(_ codespec: Codespec) async throws -> Bool {
        guard let name = codespec.name, codespec.version != nil else {
            throw TygerError(.storage, "a published codespec needs a name and a version")
        }
        do {
            _ = try await client.create(.configMaps, object: try configMap(for: codespec, name: name), namespace: namespace)
            return true
        } catch where KubernetesAPIError.from(error)?.isAlreadyExists == true {
            return false
        }
    }

    /// The stored versions of a name, oldest first.
    private func versions(of name: String) async throws -> [Codespec] {
        let selector = "\(kindLabel)=codespec,\(nameLabel)=\(Self.hash(name))"
        let list = try await client.list(.configMaps, namespace: namespace, labelSelector: selector, as: ConfigMap.self)
        // A hash collision would list another name's versions too; the stored name tells them apart.
        return try list.items.compactMap(decode).filter { $0.name == name }.sorted { ($0.version ?? 0) < ($1.version ?? 0) }
    }

    private func configMap(for codespec: Codespec, name: String) throws -> ConfigMap {
        let version = codespec.version ?? 1
        let data = String(decoding: try JSONEncoder.tygerState.encode(codespec), as: UTF8.self)
        return ConfigMap(
            metadata: ObjectMeta(
                name: "codespec-\(Self.hash(name))-v\(version)",
                namespace: namespace,
                labels: [
                    kindLabel: "codespec", nameLabel: Self.hash(name), versionLabel: "\(version)",
                    KubernetesRenderOptions.managedByLabel: "tyger",
                ],
                annotations: ["\(labelDomain)/codespec-name": name]
            ),
            data: [Self.dataKey: data]
        )
    }

    private func decode(_ configMap: ConfigMap) throws -> Codespec? {
        guard let text = configMap.data?[Self.dataKey] else { return nil }
        do {
            return try JSONDecoder.tygerState.decode(Codespec.self, from: Data(text.utf8))
        } catch {
            throw TygerError(
                .storage, "the codespec in ConfigMap \(configMap.metadata.name ?? "?") is unreadable: \(error)",
                underlying: error)
        }
    }

    /// A stable 64-bit FNV-1a hash of the name in hex: codespec names may hold `_`, which
    /// Kubernetes names and label values do not allow, and may be longer than a label value.
    static func hash(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
