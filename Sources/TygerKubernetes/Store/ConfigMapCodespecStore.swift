public import Foundation
public import TygerKit

/// A codespec store on the cluster, so a team shares versions: one ConfigMap per version,
/// `codespec-<hash of the name>-v<N>`, labelled with the name's hash and the version.
///
/// Creating a version lists the name's versions, compares with the latest, and creates the
/// next one with `POST`; the API server refuses a second object with that name, so when
/// two clients race, the loser re-reads the latest and tries again. Versions are never
/// updated, so they are immutable.
///
/// ```swift
/// let store = ConfigMapCodespecStore(client: client, namespace: "tyger")
/// let stored = try await store.create(codespec)
/// ```
public struct ConfigMapCodespecStore: CodespecStore {
    /// The API client the store uses.
    public let client: KubernetesClient
    /// The namespace the ConfigMaps live in.
    public let namespace: String
    private let labelDomain: String
    private let now: @Sendable () -> Date

    private static let dataKey = "codespec.json"

    /// Creates a store in `namespace` (the client configuration's by default).
    public init(
        client: KubernetesClient,
        namespace: String? = nil,
        labelDomain: String = KubernetesRenderOptions().labelDomain,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = client
        self.namespace = namespace ?? client.configuration.namespace
        self.labelDomain = labelDomain
        self.now = now
    }

    private var kindLabel: String { "\(labelDomain)/kind" }
    private var nameLabel: String { "\(labelDomain)/codespec" }
    private var versionLabel: String { "\(labelDomain)/codespec-version" }

    public func create(_ codespec: Codespec) async throws -> Codespec {
        guard let name = codespec.name else {
            throw TygerError(.invalidSpec, "a codespec needs a name to be stored", location: SpecLocation(keyPath: "name"))
        }
        try codespec.validate()
        try checkLabelDomain()
        let content = codespec.content
        for _ in 0..<50 {
            let versions = try await versions(of: name)
            if let latest = versions.last, latest == content { return latest }
            var next = content
            next.version = (versions.last?.version ?? 0) + 1
            next.createdAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
            do {
                _ = try await client.create(.configMaps, object: try configMap(for: next, name: name), namespace: namespace)
                return next
            } catch where KubernetesAPIError.from(error)?.isAlreadyExists == true {
                continue
            }
        }
        throw TygerError(.storage, "could not store codespec '\(name)': other clients kept creating versions")
    }

    public func codespec(named name: String, version: Int?) async throws -> Codespec {
        // As in the file store, a name no codespec can have is not looked up.
        guard (try? CodespecReference(parsing: name)) == .named(name, version: nil) else {
            throw TygerError(
                .codespecNotFound,
                "The codespec '\(name)' was not found; codespec names match \(Self.namePattern), other than '.' and '..'"
            )
        }
        try checkLabelDomain()
        let versions = try await versions(of: name)
        guard let latest = versions.last else {
            throw TygerError(.codespecNotFound, "The codespec '\(name)' was not found")
        }
        guard let version else { return latest }
        guard let match = versions.first(where: { $0.version == version }) else {
            throw TygerError(
                .versionNotFound,
                "The version '\(version)' of codespec '\(name)' was not found. The latest version is '\(latest.version ?? 0)'."
            )
        }
        return match
    }

    public func latestCodespecs(prefix: String?, limit: Int?) async throws -> [Codespec] {
        if let limit, limit < 1 { throw TygerError(.invalidSpec, "the limit is \(limit); allowed: 1 or more") }
        try checkLabelDomain()
        let all = try await client.list(.configMaps, namespace: namespace, labelSelector: "\(kindLabel)=codespec", as: ConfigMap.self)
        var latest: [String: Codespec] = [:]
        for codespec in try all.items.compactMap(decode) {
            guard let name = codespec.name, name.hasPrefix(prefix ?? "") else { continue }
            if (latest[name]?.version ?? 0) < (codespec.version ?? 0) { latest[name] = codespec }
        }
        return Array(latest.sorted { $0.key < $1.key }.map(\.value).prefix(limit ?? .max))
    }

    /// The codespec name grammar, for messages.
    private static let namePattern = #"^[a-z0-9\-._]+$"#

    /// The label domain becomes label and annotation keys and goes into selectors: refuse a
    /// bad one before any request.
    private func checkLabelDomain() throws(TygerError) {
        guard KubernetesNameRules.isLabelKey("\(labelDomain)/codespec-version") else {
            throw TygerError(
                .backend,
                "the label domain '\(labelDomain)' of the codespec store is not a DNS subdomain, such as tyger.dev; it prefixes label keys"
            )
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
