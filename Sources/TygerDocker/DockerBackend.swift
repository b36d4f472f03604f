public import Foundation
public import Logging
import Synchronization
public import TygerKit

/// Runs codespec images as containers of a Docker-compatible engine on this machine: Docker
/// Engine, or Podman's Docker-compatible service.
///
/// A run gets a network of its own. Each worker replica is a container whose host name and
/// network alias is `run-<id>-worker-<i>`, listening on the **declared** port of each
/// endpoint, so every replica has its own address as on Kubernetes; the job's containers
/// get the contract's variables with those names and ports. The job starts once every
/// declared port of every replica accepts a TCP connection at the replica's address on the
/// run's network (see `Documentation/Containers.md` for why no proxy can fake that).
/// Statuses, reasons, restarts and timeouts are the shared contract's; logs come from the
/// engine's log streams.
///
/// This process supervises the runs it creates (`tyger run create` starts a process of its
/// own for that); records, logs and events are kept under `<directory>/runs/<id>/`, so
/// another process shows, follows and cancels them. When this process is killed, its
/// containers keep running (the engine owns them) until the next container backend opens
/// on this machine: it removes the containers and networks of every run whose supervising
/// process is gone.
///
/// ```swift
/// try await DockerBackend.withBackend { backend in
///     let client = TygerClient(store: FileCodespecStore(), backend: backend)
///     let run = try await client.createRun(spec)
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
public final class DockerBackend: ClusterBackend {
    /// How the container backend reaches its engine and runs containers.
    public struct Configuration: Sendable {
        /// The engine's socket; `nil` finds it as ``EngineSocket/locate(environment:isSocket:)`` does.
        public var socket: EngineSocket?
        /// The state directory; runs are kept in its `runs` folder.
        public var directory: URL = TygerHome.directory().appendingPathComponent("docker", isDirectory: true)
        /// How long a container may take to stop after SIGTERM before the engine kills it
        /// (whole seconds; the engine's API has no finer unit).
        public var gracePeriod: Duration = .seconds(10)
        /// The first delay before a worker that exited is started again; it doubles per restart.
        public var initialRestartDelay: Duration = .milliseconds(100)
        /// The longest delay between worker restarts.
        public var maximumRestartDelay: Duration = .seconds(10)
        /// Resource limits every container is created with, as `(name, soft, hard)` such as
        /// `("nofile", 1024, 1024)`; empty leaves the engine's defaults. Podman's defaults
        /// exceed what root may set on some machines (`setrlimit: Operation not permitted`).
        public var ulimits: [(name: String, soft: Int64, hard: Int64)] = []
        /// Where the backend reports what it does.
        public var logger = Logger(label: "TygerKit.DockerBackend", factory: { _ in SwiftLogNoOpLogHandler() })
        /// The longest discovery list passed in the environment; longer ones go to files. A
        /// knob for tests, which exercise the files with a few workers instead of thousands.
        package var discoveryInlineLimit = DiscoveryVariables.inlineLimit

        /// The default configuration.
        public init() {}
    }

    public let name = "docker"
    /// Images, and GPUs where the engine takes device requests: Docker Engine does (a run
    /// then fails to start with the engine's words when the machine has no GPU runtime);
    /// Podman's compatible API would drop them silently, so GPU codespecs are refused there.
    public let capabilities: BackendCapabilities
    /// The configuration the backend was created with.
    public let configuration: Configuration
    /// The engine's socket.
    public let socket: EngineSocket

    private let engine: EngineClient
    private let hosted: HostedRuns<ContainerReplicas>
    private let scope: String
    private let host = HostProcess.currentIdentity
    private let pacing = ProbePacing()
    /// Images found in the engine by an earlier run; an image removed since makes the run's
    /// start fail in the engine's words instead.
    private let knownImages = Mutex<Set<String>>([])

    private init(
        configuration: Configuration, socket: EngineSocket, engine: EngineClient, version: EngineVersion,
        hosted: HostedRuns<ContainerReplicas>
    ) {
        self.configuration = configuration
        capabilities = BackendCapabilities(gpus: !version.isPodman, containerImages: true)
        self.socket = socket
        self.engine = engine
        self.hosted = hosted
        scope = RunObjects.scope(ofRunsDirectory: hosted.store.runsDirectory)
    }

    /// Runs `body` with a backend: finds the engine, removes what runs of dead hosts left
    /// behind, then runs `body`; afterwards cancels every run the backend still executes and
    /// waits until their containers and networks are gone, also when `body` throws.
    ///
    /// - Throws: ``TygerError`` when no engine answers (naming every socket tried).
    public static func withBackend<Result: Sendable>(
        configuration: Configuration = Configuration(),
        _ body: (DockerBackend) async throws -> Result
    ) async throws -> Result {
        let socket = try configuration.socket ?? EngineSocket.locate()
        let engine = EngineClient(socket: socket, logger: configuration.logger)
        do {
            let version = try await engine.version()
            let restartDelay = RunStateMachine.RestartDelay(
                initial: configuration.initialRestartDelay, maximum: configuration.maximumRestartDelay)
            let result = try await HostedRuns<ContainerReplicas>.withRuns(
                backendName: "docker", directory: configuration.directory, restartDelay: restartDelay,
                logger: configuration.logger
            ) { hosted in
                let backend = DockerBackend(
                    configuration: configuration, socket: socket, engine: engine, version: version, hosted: hosted)
                await backend.removeOrphans()
                return try await body(backend)
            }
            await engine.shutdown()
            return result
        } catch {
            await engine.shutdown()
            throw error
        }
    }

    /// Cancels every run this backend executes (they end `Canceled: the docker backend shut
    /// down`) and takes no new ones; ``withBackend(configuration:_:)`` then waits until their
    /// containers are gone.
    public func shutdown() async {
        await hosted.shutdown()
    }

    // MARK: - ClusterBackend

    /// Checks that the run's images are in the engine, then creates the run's network and
    /// starts supervising it.
    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        try validate(spec)
        try await requireImages(of: spec)
        let settings = ContainerReplicas.ContainerSettings(
            gracePeriod: configuration.gracePeriod,
            ulimits: configuration.ulimits.map { .init(Name: $0.name, Soft: $0.soft, Hard: $0.hard) },
            discoveryInlineLimit: configuration.discoveryInlineLimit, logger: configuration.logger, pacing: pacing)
        return try await hosted.submit(spec) { [engine, scope, host] run in
            try await ContainerReplicas.prepare(
                run, engine: engine, objects: RunObjects(runID: run.id, scope: scope, host: host), settings: settings)
        }
    }

    public func run(id: RunID) async throws -> Run {
        try hosted.run(id: id)
    }

    public func runs(_ query: RunQuery) async throws -> [Run] {
        try hosted.runs(query)
    }

    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
        hosted.updates(of: id)
    }

    public func cancel(id: RunID) async throws -> Run {
        try await hosted.cancel(id: id)
    }

    public func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) async throws -> Run {
        try hosted.setTags(of: id, to: tags, ifMatch: eTag)
    }

    public func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        hosted.logs(of: id, options)
    }

    public func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        hosted.events(of: id, follow: follow)
    }

    // MARK: - Engine objects

    /// The engine's containers and networks of run `id` of this backend's store, by name;
    /// empty once the run has ended (tests and tools check that nothing is left).
    public func leftovers(of id: RunID) async throws -> [String] {
        try await engine.objects(labeled: RunObjects(runID: id, scope: scope, host: host).selector)
    }

    /// Every image the run names must be in the engine: the backend pulls nothing.
    private func requireImages(of spec: ResolvedRunSpec) async throws(TygerError) {
        let images = Set([spec.job.codespec.image, spec.worker?.codespec.image].compactMap { $0 })
        for image in images.sorted() where !knownImages.withLock({ $0.contains(image) }) {
            guard try await engine.hasImage(image) else {
                throw TygerError(
                    .backend,
                    "the image '\(image)' is not in the container engine at \(socket); pull or build it first "
                        + "(scripts/build-images.sh builds this repository's images)")
            }
            knownImages.withLock { _ = $0.insert(image) }
        }
    }

    /// Removes the containers and networks of runs whose supervising process is gone (killed
    /// before it could tear its runs down), on this machine, in any store.
    private func removeOrphans() async {
        let managed = ["\(RunObjects.managedByLabel)=\(RunObjects.managedBy)"]
        do {
            let containers = try await engine.containers(labeled: managed)
            let networks = try await engine.networks(labeled: managed)
            let orphaned = { (labels: [String: String]?) in
                guard let host = labels?[RunObjects.hostLabel] else { return false }
                return !HostProcess.isAlive(identity: host)
            }
            let doomedContainers = containers.filter { orphaned($0.Labels) }
            let doomedNetworks = networks.filter { orphaned($0.Labels) }
            guard !doomedContainers.isEmpty || !doomedNetworks.isEmpty else { return }
            configuration.logger.info(
                "removing what runs of dead hosts left behind",
                metadata: ["containers": "\(doomedContainers.count)", "networks": "\(doomedNetworks.count)"])
            await withTaskGroup(of: Void.self) { group in
                for container in doomedContainers {
                    group.addTask { try? await self.engine.removeContainer(container.Id) }
                }
            }
            for network in doomedNetworks { try? await engine.removeNetwork(network.Id) }
        } catch {
            configuration.logger.warning("cannot look for runs of dead hosts", metadata: ["error": "\(error)"])
        }
    }
}
