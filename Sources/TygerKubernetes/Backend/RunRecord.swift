import Foundation
import TygerKit

/// A run's record on the cluster: a ConfigMap `run-<id>` holding the resolved spec and the
/// creation time, a cancel request once asked, the final ``Run`` once a client saw it end,
/// and the tags once they were changed after creation (they replace those of the spec and
/// of the final run).
///
/// The record outlives the Job (which its TTL removes), so `run show` keeps working; it is
/// the only object that does, and it is small.
struct RunRecord: Sendable {
    var id: RunID
    var spec: ResolvedRunSpec
    var createdAt: Date
    var cancelRequested = false
    var final: Run?
    /// The record's `resourceVersion`, for a replacement that must not overwrite a change.
    var resourceVersion: String?
    /// The ConfigMap as read, to replace it with changes.
    var configMap: ConfigMap?

    enum Key {
        static let spec = "spec.json"
        static let createdAt = "createdAt"
        static let canceled = "cancelRequested"
        static let final = "final.json"
        static let tags = "tags.json"
    }

    static func name(_ id: RunID) -> String { "run-\(id)" }

    func configMap(namespace: String, options: KubernetesRenderOptions) throws(TygerError) -> ConfigMap {
        let labels = [
            options.runLabel: id.description, KubernetesRenderOptions.managedByLabel: "tyger",
            options.labelDomain + "/kind": "run",
        ]
        return ConfigMap(
            metadata: ObjectMeta(name: RunRecord.name(id), namespace: namespace, labels: labels),
            data: [Key.spec: try Self.json(spec), Key.createdAt: MillisecondTimestamp.text(createdAt)]
        )
    }

    init(id: RunID, spec: ResolvedRunSpec, createdAt: Date) {
        self.id = id
        self.spec = spec
        self.createdAt = createdAt
    }

    init(configMap: ConfigMap, id: RunID) throws(TygerError) {
        let data = configMap.data ?? [:]
        guard let specText = data[Key.spec], let created = KubernetesTime.date(from: data[Key.createdAt]) else {
            throw TygerError(.storage, "the record of run \(id) (ConfigMap \(RunRecord.name(id))) is incomplete")
        }
        self.id = id
        spec = try Self.decode(ResolvedRunSpec.self, specText, id: id)
        createdAt = created
        cancelRequested = data[Key.canceled] == "true"
        final = try data[Key.final].map { text throws(TygerError) in try Self.decode(Run.self, text, id: id) }
        if let tagsText = data[Key.tags] {
            let tags = try Self.decode([String: String].self, tagsText, id: id)
            spec = try spec.replacingTags(tags)
            if let recorded = final { final?.spec = try recorded.spec.replacingTags(tags) }
        }
        resourceVersion = configMap.metadata.resourceVersion
        self.configMap = configMap
    }

    /// The ConfigMap as read, with `tags` as the run's tags.
    func replacingTags(_ tags: [String: String]) throws(TygerError) -> ConfigMap {
        guard var changed = configMap else {
            throw TygerError(.backend, "the record of run \(id) was not read from the cluster")
        }
        changed.data = (changed.data ?? [:]).merging([Key.tags: try Self.json(tags)]) { _, new in new }
        return changed
    }

    static func json(_ value: some Encodable) throws(TygerError) -> String {
        do {
            return String(decoding: try JSONEncoder.tygerState.encode(value), as: UTF8.self)
        } catch {
            throw TygerError(.storage, "cannot encode a run record: \(error)", underlying: error)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String, id: RunID) throws(TygerError) -> T {
        do {
            return try JSONDecoder.tygerState.decode(type, from: Data(text.utf8))
        } catch {
            throw TygerError(.storage, "the record of run \(id) is unreadable: \(error)", underlying: error)
        }
    }
}
