import Foundation
import TygerKit

/// The names and labels of one run's objects in the engine. Names carry the scope of the
/// run store (two TygerKit homes both have a run 1) and the run's ID; labels carry run,
/// role, index, scope and the identity of the process that supervises the run, so that
/// objects of a run whose host died are found and removed.
struct RunObjects: Sendable {
    /// Labels every object of the container backend carries.
    static let runLabel = "tyger.dev/run"
    static let roleLabel = "tyger.dev/role"
    static let indexLabel = "tyger.dev/index"
    static let scopeLabel = "tyger.dev/scope"
    static let hostLabel = "tyger.dev/host"
    static let managedByLabel = "app.kubernetes.io/managed-by"
    static let managedBy = "tygerkit"

    let runID: RunID
    let scope: String
    let host: String

    /// The scope of the runs kept in `runsDirectory`: a stable hash of its path.
    static func scope(ofRunsDirectory runsDirectory: URL) -> String {
        String(FNV1a.hash(runsDirectory.standardizedFileURL.path), radix: 16)
    }

    /// `tyger-<scope>-run-<id>`: the run's network.
    var networkName: String { "tyger-\(scope)-run-\(runID)" }

    /// The engine-wide name of a replica's container.
    func containerName(_ role: Role, _ index: Int) -> String { "tyger-\(scope)-run-\(runID)-\(role.rawValue)-\(index)" }

    /// The labels of the run's network.
    var networkLabels: [String: String] {
        [Self.runLabel: runID.description, Self.scopeLabel: scope, Self.hostLabel: host, Self.managedByLabel: Self.managedBy]
    }

    /// The labels of a replica's container.
    func labels(_ role: Role, _ index: Int) -> [String: String] {
        networkLabels.merging([Self.roleLabel: role.rawValue, Self.indexLabel: "\(index)"]) { $1 }
    }

    /// The filter that selects every object of this run.
    var selector: [String] { ["\(Self.runLabel)=\(runID)", "\(Self.scopeLabel)=\(scope)"] }

    enum Role: String, Sendable {
        case job, worker
    }
}

/// What one replica's container is created with: the codespec as Kubernetes would run it.
///
/// - `command` replaces the image's entrypoint and `args` its command, as in a pod: only
///   `args` keeps the entrypoint; only `command` drops the image's command too; neither
///   runs the image as it is.
/// - The environment is the contract's (``RunEnvironment``), with `$(VAR)` references
///   expanded from it in command, args and values, as the kubelet does; nothing of the
///   host's environment enters the container.
/// - `resources.limits` become the engine's CPU and memory limits, `resources.gpu` a device
///   request, `resources.shm` the size of `/dev/shm`.
struct ContainerPlan: Sendable {
    var objects: RunObjects
    var role: RunObjects.Role
    var index: Int
    var hostname: String
    var codespec: Codespec
    var injected: [(name: String, value: String)]
    /// Host paths mounted read-only, as `host:container`.
    var binds: [String] = []
    var ulimits: [ContainerCreate.Ulimit] = []

    var name: String { objects.containerName(role, index) }

    /// The body of `POST /containers/create`.
    func body() throws(TygerError) -> ContainerCreate {
        guard let image = codespec.image, !image.isEmpty else {
            throw TygerError(.invalidSpec, "the \(role.rawValue) codespec has no image; the container backend runs images")
        }
        let entries = RunEnvironment.compose(injected: injected, codespec: codespec)
        let variables = EnvironmentExpansion.environment(base: [:], entries: entries)
        var seen = Set<String>()
        let environment = entries.compactMap { entry -> String? in
            guard seen.insert(entry.name).inserted, let value = variables[entry.name] else { return nil }
            return "\(entry.name)=\(value)"
        }
        let expand = { (words: [String]) in words.map { EnvironmentExpansion.expand($0, using: variables) } }
        let ports = codespec.endpoints.map { "\($0.port)/tcp" }
        return ContainerCreate(
            Image: image,
            Hostname: hostname,
            Entrypoint: codespec.command.isEmpty ? nil : expand(codespec.command),
            // With an entrypoint of its own, a container runs no image command unless args give one.
            Cmd: codespec.args.isEmpty ? (codespec.command.isEmpty ? nil : []) : expand(codespec.args),
            Env: environment,
            WorkingDir: codespec.workingDir,
            Labels: objects.labels(role, index),
            ExposedPorts: ports.isEmpty ? nil : Dictionary(uniqueKeysWithValues: ports.map { ($0, .init()) }),
            HostConfig: try hostConfig(),
            NetworkingConfig: .init(EndpointsConfig: [objects.networkName: .init(Aliases: [hostname])])
        )
    }

    private func hostConfig() throws(TygerError) -> ContainerCreate.HostConfig {
        var config = ContainerCreate.HostConfig(NetworkMode: objects.networkName)
        let resources = codespec.resources
        if let cpu = resources?.limits?.cpu, let millicores = cpu.milliValue {
            config.NanoCpus = Int64(millicores) * 1_000_000
        }
        if let memory = resources?.limits?.memory, let bytes = memory.integerValue {
            config.Memory = Int64(bytes)
        }
        if let shm = resources?.shm, let bytes = shm.integerValue {
            config.ShmSize = Int64(bytes)
        }
        if let gpu = resources?.gpu, let count = gpu.integerValue, count > 0 {
            config.DeviceRequests = [.init(Count: count)]
        }
        if !binds.isEmpty { config.Binds = binds }
        if !ulimits.isEmpty { config.Ulimits = ulimits }
        return config
    }
}
