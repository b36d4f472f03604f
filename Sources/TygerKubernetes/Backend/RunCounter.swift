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

    func next() async throws -> RunID {
        for _ in 0..<50 {
            do {
                var counter = try await client.get(.configMaps, name: Self.name, namespace: namespace, as: ConfigMap.self)
                let text = counter.data?[Self.key] ?? "0"
                guard let last = text == "0" ? 0 : RunID(text)?.value else {
                    throw TygerError(
                        .backend, "the run counter \(Self.name) holds '\(text)', not a run number; fix or delete it")
                }
                guard let next = last == 0 ? RunID.first : RunID(last)?.next else {
                    throw TygerError(.backend, "the run counter \(Self.name) has reached the largest run ID, \(Int.max)")
                }
                counter.data = [Self.key: next.description]
                _ = try await client.replace(.configMaps, name: Self.name, object: counter, namespace: namespace)
                return next
            } catch where KubernetesAPIError.from(error)?.isNotFound == true {
                let first = ConfigMap(
                    metadata: ObjectMeta(name: Self.name, namespace: namespace), data: [Self.key: "1"])
                do {
                    _ = try await client.create(.configMaps, object: first, namespace: namespace)
                    return RunID.first
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
