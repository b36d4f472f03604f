import Foundation
import Testing
import TygerKit
import TygerKubernetes

/// A run to render, with a name for test output.
struct RenderCase: Sendable, CustomTestStringConvertible {
    var name: String
    var runID: RunID
    var run: ResolvedRunSpec
    var namespace = "tyger"
    var options = KubernetesRenderOptions()

    var testDescription: String { name }

    func render() throws(TygerError) -> RenderedRun {
        try RunRenderer.render(runID: runID, run: run, namespace: namespace, options: options)
    }
}

/// Parses a quantity that the fixtures know to be valid.
func quantity(_ text: String) -> Quantity {
    fixture { try Quantity(parsing: text) }
}

/// A run ID the fixtures know to be valid.
func runID(_ value: Int) -> RunID {
    fixture { try RunID(parsing: String(value)) }
}

/// A value that the fixtures build from input they know to be valid; a mistake in a fixture
/// stops the tests with the error.
func fixture<T>(_ build: () throws -> T) -> T {
    do { return try build() } catch { fatalError("an invalid test fixture: \(error)") }
}

/// The runs the rendering tests share: every feature a codespec or run can ask of Kubernetes.
enum RenderFixtures {
    /// A job alone, its codespec inline: no workers, no resources.
    static let jobOnly: RenderCase = {
        let codespec = Codespec(
            image: "ubuntu:24.04", command: ["echo"], args: ["hello", "$(TYGER_RUN_ID)"], env: ["GREETING": "hi"])
        let spec = RunSpec(job: JobTarget(codespec: .inline(codespec)), timeoutSeconds: 300)
        return RenderCase(
            name: "job only, inline codespec", runID: runID(7), run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: codespec) })
    }()

    /// The job codespec of ``distributed``: named, with every resource and placement field.
    static let trainer = Codespec(
        kind: .job,
        name: "trainer",
        image: "registry.example.com/trainer:3.1",
        command: ["python3", "-m", "trainer"],
        args: ["--epochs", "3"],
        workingDir: "/work",
        env: ["ZETA": "last", "ALPHA": "first", "DERIVED": "run-$(TYGER_RUN_ID)", "YES_NO": "y"],
        identity: "trainer-identity",
        resources: CodespecResources(
            requests: ResourceAmounts(cpu: quantity("3000m"), memory: quantity("4G")),
            limits: ResourceAmounts(cpu: quantity("4"), memory: quantity("8Gi")),
            gpu: quantity("1"),
            shm: quantity("1Gi")
        ),
        version: 3
    )

    /// The worker codespec of ``distributed``: two endpoints, one of which is not a valid
    /// port name (`rpc_control`), and resources.
    static let gadgetronWorker = Codespec(
        kind: .worker,
        name: "gadgetron-worker",
        image: "ghcr.io/example/gadgetron:2",
        command: ["gadgetron"],
        args: ["-p", "$(TYGER_GADGETRON_ENDPOINT_PORT)"],
        workingDir: "/opt/gadgetron",
        env: ["LOG_LEVEL": "debug"],
        identity: "worker.identity",
        resources: CodespecResources(
            requests: ResourceAmounts(cpu: quantity("500m"), memory: quantity("1Gi")),
            gpu: quantity("2"),
            shm: quantity("512Mi")
        ),
        endpoints: [Endpoint(name: "gadgetron", port: 9002), Endpoint(name: "rpc_Control", port: 7000)],
        version: 5
    )

    /// Three workers with two endpoints, named codespecs, node pools, GPUs, shared memory,
    /// identities and working directories.
    static let distributed: RenderCase = {
        let spec = RunSpec(
            job: JobTarget(codespec: .named("trainer", version: 3), nodePool: "gpunp"),
            worker: WorkerSpec(codespec: .named("gadgetron-worker", version: nil), nodePool: "cpu.pool_2", replicas: 3),
            timeoutSeconds: 3600
        )
        return RenderCase(
            name: "3 workers, 2 endpoints, named codespecs",
            runID: runID(1234),
            run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: trainer, workerCodespec: gadgetronWorker) }
        )
    }()

    /// Two job replicas (an Indexed Job), no workers.
    static let twoJobReplicas: RenderCase = {
        let codespec = Codespec(image: "busybox", command: ["sh", "-c", "exit 0"])
        let spec = RunSpec(job: JobTarget(codespec: .inline(codespec), replicas: 2))
        return RenderCase(
            name: "2 job replicas", runID: runID(88), run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: codespec) })
    }()

    /// The documented example: run 42, namespace tyger, 2 worker replicas, endpoint `gadgetron: 9002`;
    /// inline codespecs.
    static let specExample: RenderCase = {
        let job = Codespec(image: "job:1", command: ["job"])
        let worker = Codespec(
            kind: .worker, image: "worker:1", command: ["serve"], endpoints: [Endpoint(name: "gadgetron", port: 9002)])
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(job)), worker: WorkerSpec(codespec: .inline(worker), replicas: 2))
        return RenderCase(
            name: "documented example", runID: runID(42),
            run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker) })
    }()

    /// Workers that serve no endpoint, and endpoints sharing a port, in another namespace.
    static let unusualWorkers: RenderCase = {
        let job = Codespec(image: "job:1")
        let worker = Codespec(kind: .worker, image: "worker:1")
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(job)), worker: WorkerSpec(codespec: .inline(worker), replicas: 4))
        return RenderCase(
            name: "workers without endpoints", runID: runID(5),
            run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker) },
            namespace: "research")
    }()

    static let sharedPorts: RenderCase = {
        let job = Codespec(image: "job:1")
        let worker = Codespec(
            kind: .worker, image: "worker:1",
            endpoints: [
                Endpoint(name: "http", port: 8080), Endpoint(name: "metrics", port: 8080),
                Endpoint(name: "Admin_Port", port: 9090),
            ])
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(job)), worker: WorkerSpec(codespec: .inline(worker), replicas: 2))
        return RenderCase(
            name: "endpoints sharing a port", runID: runID(6),
            run: fixture { try ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker) })
    }()

    static let all = [jobOnly, distributed, twoJobReplicas, specExample, unusualWorkers, sharedPorts]
}

extension RenderedRun {
    /// The job's `main` container.
    var jobContainer: Container? { job.spec?.template.spec?.containers.first }
    /// The StatefulSet's `worker` container.
    var workerContainer: Container? { workerStatefulSet?.spec?.template.spec?.containers.first }
}

extension Container {
    /// The literal environment value of `name`, if it has one.
    func env(_ name: String) -> String? { env?.first { $0.name == name }?.value }
    /// The environment variable names, in order.
    var envNames: [String] { env?.map(\.name) ?? [] }
}

/// Encodes an object as `JSONSerialization` reads it.
func jsonObject(_ value: some Encodable) throws -> Any {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
}

extension ResolvedRunSpec {
    /// This run with its codespecs or its spec changed, checked again as every resolved run is.
    func changing(
        job: (inout Codespec) -> Void = { _ in }, worker: (inout Codespec) -> Void = { _ in },
        spec: (inout RunSpec) -> Void = { _ in }
    ) throws -> ResolvedRunSpec {
        var jobCodespec = self.job.codespec
        job(&jobCodespec)
        var workerCodespec = self.worker?.codespec
        if workerCodespec != nil { worker(&workerCodespec!) }
        var runSpec = self.runSpec
        spec(&runSpec)
        return try ResolvedRunSpec(spec: runSpec, jobCodespec: jobCodespec, workerCodespec: workerCodespec)
    }
}
