import TygerKit

/// Hands out run IDs from a ConfigMap counter, so every client of a namespace agrees on them.
///
/// An update carries the resourceVersion it read; a concurrent client's update makes it fail
/// with a conflict, and the loser reads again. Two API requests per run, whatever its size.
struct RunCounter: Sendable {
    static let name = "tyger-run-counter"
    private static let key = "last"

    let client: KubernetesClient
    let namespace: String

    func next() async throws -> String {
        for _ in 0..<50 {
            do {
                var counter = try await client.get(.configMaps, name: Self.name, namespace: namespace, as: ConfigMap.self)
                let last = Int(counter.data?[Self.key] ?? "0") ?? 0
                counter.data = [Self.key: "\(last + 1)"]
                _ = try await client.replace(.configMaps, name: Self.name, object: counter, namespace: namespace)
                return "\(last + 1)"
            } catch where KubernetesAPIError.from(error)?.isNotFound == true {
                let first = ConfigMap(
                    metadata: ObjectMeta(name: Self.name, namespace: namespace), data: [Self.key: "1"])
                do {
                    _ = try await client.create(.configMaps, object: first, namespace: namespace)
                    return "1"
                } catch where KubernetesAPIError.from(error)?.isAlreadyExists == true {
                    continue
                }
            } catch where KubernetesAPIError.from(error)?.isConflict == true {
                continue
            }
        }
        throw TygerError(.backend, "could not reserve a run ID: the counter \(Self.name) kept changing")
    }
}
