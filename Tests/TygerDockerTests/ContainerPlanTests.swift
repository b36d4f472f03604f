import Foundation
import Testing
@testable import TygerDocker
import TygerKit

/// What a replica's container is created with, checked without an engine.
@Suite struct ContainerPlanTests {
    private let objects = RunObjects(runID: RunID("7")!, scope: "abc", host: "123 456")

    private func body(_ codespec: Codespec, role: RunObjects.Role = .worker, injected: [(String, String)] = []) throws
        -> ContainerCreate
    {
        try ContainerPlan(
            objects: objects, role: role, index: 2, hostname: "run-7-worker-2", codespec: codespec,
            injected: injected.map { (name: $0.0, value: $0.1) }
        ).body()
    }

    @Test("command and args follow Kubernetes against the image's entrypoint and command")
    func commandAndArgs() throws {
        let neither = try body(Codespec(kind: .worker, image: "i"))
        #expect(neither.Entrypoint == nil && neither.Cmd == nil, "the image runs as it is")

        let argsOnly = try body(Codespec(kind: .worker, image: "i", args: ["--flag"]))
        #expect(argsOnly.Entrypoint == nil, "the image's entrypoint stays")
        #expect(argsOnly.Cmd == ["--flag"])

        let commandOnly = try body(Codespec(kind: .worker, image: "i", command: ["prog"]))
        #expect(commandOnly.Entrypoint == ["prog"])
        #expect(commandOnly.Cmd == [], "the image's command is dropped too")

        let both = try body(Codespec(kind: .worker, image: "i", command: ["prog"], args: ["a", "b"]))
        #expect(both.Entrypoint == ["prog"] && both.Cmd == ["a", "b"])
    }

    @Test("The contract's variables come first and win; $(VAR) is expanded from them, never from the host")
    func environment() throws {
        setenv("TYGER_PLAN_TEST_HOST_ONLY", "leak", 1)
        defer { unsetenv("TYGER_PLAN_TEST_HOST_ONLY") }
        let codespec = Codespec(
            kind: .worker, image: "i", command: ["echo", "$(TYGER_RUN_ID)", "$(TYGER_PLAN_TEST_HOST_ONLY)", "$$(TYGER_RUN_ID)"],
            env: ["TYGER_RUN_ID": "mine", "GREETING": "run $(TYGER_RUN_ID) on $(TYGER_RPC_ENDPOINT_PORT)"])
        let created = try body(codespec, injected: [("TYGER_RUN_ID", "7"), ("TYGER_RPC_ENDPOINT_PORT", "8080")])
        #expect(created.Env == ["TYGER_RUN_ID=7", "TYGER_RPC_ENDPOINT_PORT=8080", "GREETING=run 7 on 8080"])
        #expect(created.Entrypoint == ["echo", "7", "$(TYGER_PLAN_TEST_HOST_ONLY)", "$(TYGER_RUN_ID)"])
        #expect(!created.Env.contains { $0.hasPrefix("TYGER_PLAN_TEST_HOST_ONLY") })
    }

    @Test("Host name, network alias, labels, declared ports and an init process")
    func identity() throws {
        let codespec = Codespec(
            kind: .worker, image: "i", workingDir: "/work",
            endpoints: [Endpoint(name: "rpc", port: 8080), Endpoint(name: "metrics", port: 9090)])
        let created = try body(codespec)
        #expect(created.Hostname == "run-7-worker-2")
        #expect(created.NetworkingConfig?.EndpointsConfig["tyger-abc-run-7"]?.Aliases == ["run-7-worker-2"])
        #expect(created.HostConfig.NetworkMode == "tyger-abc-run-7")
        #expect(created.HostConfig.Init)
        #expect(created.WorkingDir == "/work")
        #expect(Set(created.ExposedPorts?.keys.map { $0 } ?? []) == ["8080/tcp", "9090/tcp"])
        #expect(created.Labels["tyger.dev/run"] == "7")
        #expect(created.Labels["tyger.dev/role"] == "worker")
        #expect(created.Labels["tyger.dev/index"] == "2")
        #expect(created.Labels["tyger.dev/host"] == "123 456")
        #expect(objects.containerName(RunObjects.Role.worker, 2) == "tyger-abc-run-7-worker-2")
    }

    @Test("Limits become the engine's CPU and memory limits, gpu a device request, shm the size of /dev/shm")
    func resources() throws {
        let resources = CodespecResources(
            requests: ResourceAmounts(cpu: try Quantity(parsing: "100m"), memory: try Quantity(parsing: "64Mi")),
            limits: ResourceAmounts(cpu: try Quantity(parsing: "1500m"), memory: try Quantity(parsing: "1Gi")),
            gpu: 2, shm: try Quantity(parsing: "256Mi"))
        let created = try body(Codespec(kind: .job, image: "i", resources: resources), role: .job)
        #expect(created.HostConfig.NanoCpus == 1_500_000_000)
        #expect(created.HostConfig.Memory == 1 << 30)
        #expect(created.HostConfig.ShmSize == 256 << 20)
        #expect(created.HostConfig.DeviceRequests == [.init(Count: 2)])

        let plain = try body(Codespec(kind: .job, image: "i"), role: .job)
        #expect(plain.HostConfig.NanoCpus == nil && plain.HostConfig.Memory == nil && plain.HostConfig.DeviceRequests == nil)
    }

    @Test("A codespec without an image is refused, naming the role")
    func noImage() {
        #expect(throws: TygerError.self) { try body(Codespec(kind: .worker, command: ["x"])) }
    }
}
