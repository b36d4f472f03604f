import Foundation
import Synchronization

/// Simulates TygerKit's `tyger-conformance` program, so the backend conformance suite can run
/// against the test server with the same codespecs it uses on a real cluster.
///
/// The program is recognized from the container's `command` (`tyger-conformance` or any path
/// ending in `/tyger-conformance`; with no `command`, the image's entrypoint is assumed to be
/// it) and its `args`. Output matches the real program line for line. Subcommands:
///
/// - `worker [--listen-after S] [--fail-first-start MARKER]`: reads its index from
///   `TYGER_WORKER_INDEX` and its ports from `TYGER_<NAME>_ENDPOINT_PORT`, listens on each
///   (after S seconds) answering `<index> <name> <pid>`, logs `worker <i> listening on
///   name=port ...`, and stops with exit 0 on SIGTERM. `--fail-first-start` makes the first
///   start in each pod exit 1 (the marker lives as long as the pod, like an `emptyDir`).
/// - `job-discovery <endpoint> [--expect-replicas N]`: parses `TYGER_WORKER_NODES` and
///   `TYGER_<ENDPOINT>_WORKER_ENDPOINT_ADDRESSES` (or the files their `_FILE` variables name,
///   read from the container's ConfigMap volume mounts), "connects" to every address through
///   cluster DNS, and checks that address *i* is served by worker *i*, that node *i* is the
///   host of address *i*, and that the worker pod declares the port as a `containerPort`.
///   Prints the real program's JSON summary and exits 0, or explains and exits 1.
/// - `exit <code>`, `sleep <s>`, `ignore-term <s>`, `print <n> [--every <s>]`, `env NAMES...`, `pid-file <path>`.
///
/// Readiness follows Kubernetes: a container without a readiness probe is ready once running;
/// with a `tcpSocket` (or `httpGet`/`grpc`) probe, once it listens on the probed port.
///
/// An init container named `wait-for-workers` simulates TygerKit's worker-wait script when it is
/// given in that script's form (`sh -c <script> wait-for-workers <replicas> <host prefix>
/// <host suffix> <port>...`): for each replica in order it waits until every port accepts
/// connections (or, without ports, until the host resolves), logging as the script does.
/// Any other `wait-for-workers` container waits until every host in the pod's
/// `TYGER_WORKER_NODES` resolves to a Ready pod, then exits 0. Ready is not listening:
/// a worker without a readiness probe is Ready before it listens, so a job that only waits for
/// readiness can start too early, as on a real cluster. Pass `waitForWorkersChecksEndpoints: true`
/// to model an init container that also connects to every `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES`
/// entry before exiting.
///
/// Other programs exit 127 after logging that the executable was not found.
public struct ConformancePodBehavior: PodBehavior {
    /// The init container name that is simulated as waiting for the workers.
    public static let waitForWorkersContainer = "wait-for-workers"

    private let markers = FirstStartMarkers()
    private let waitForWorkersChecksEndpoints: Bool

    /// - Parameter waitForWorkersChecksEndpoints: Whether the simulated `wait-for-workers` init
    ///   container also waits until every worker endpoint address accepts connections.
    public init(waitForWorkersChecksEndpoints: Bool = false) {
        self.waitForWorkersChecksEndpoints = waitForWorkersChecksEndpoints
    }

    public func run(_ container: SimulatedContainer) async -> ContainerExit {
        if container.isInitContainer && container.name == Self.waitForWorkersContainer {
            return await waitForWorkers(container)
        }
        var argv = container.commandLine
        if container.spec["command"] == nil { argv.insert("tyger-conformance", at: 0) }
        guard let executable = argv.first, executable == "tyger-conformance" || executable.hasSuffix("/tyger-conformance")
        else {
            container.logError("exec: \"\(argv.first ?? "")\": executable file not found in $PATH")
            return .exited(127)
        }
        let program = Program(container: container, markers: markers)
        guard argv.count >= 2 else { return program.usage("missing command") }
        let rest = Array(argv.dropFirst(2))
        switch argv[1] {
        case "worker": return await program.worker(rest)
        case "job-discovery": return program.jobDiscovery(rest)
        case "exit": return program.exit(rest)
        case "sleep": return await program.sleep(rest)
        case "ignore-term": return await program.ignoreTerm(rest)
        case "print": return await program.print(rest)
        case "env": return program.env(rest)
        case "pid-file": return await program.pidFile(rest)
        case "-h", "--help", "help":
            container.log(Program.usageLine)
            return .exited(0)
        default: return program.usage("unknown command '\(argv[1])'")
        }
    }

    /// What the job's init container does: wait until every worker host resolves to a Ready pod.
    private func waitForWorkers(_ container: SimulatedContainer) async -> ContainerExit {
        let argv = container.commandLine
        if argv.count >= 7, argv[0].hasSuffix("sh"), argv[1] == "-c", argv[3] == Self.waitForWorkersContainer,
            let replicas = Int(argv[4])
        {
            let ports = argv[7...].compactMap { Int($0) }
            return await runWorkerWaitScript(container, replicas: replicas, prefix: argv[5], suffix: argv[6], ports: ports)
        }
        // The variables are the job container's; the init container may not repeat them.
        var environment = container.environment
        for spec in container.pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            for variable in spec["env"]?.arrayValue ?? [] {
                guard let name = variable["name"]?.stringValue, name.hasPrefix("TYGER_"),
                    let value = variable["value"]?.stringValue, environment[name] == nil
                else { continue }
                environment[name] = value
            }
        }
        guard let variable = environment["TYGER_WORKER_NODES"], let nodes = Program.stringArray(variable) else {
            container.logError("wait-for-workers: TYGER_WORKER_NODES is missing or not a JSON array of strings")
            return .exited(1)
        }
        var addresses: [(String, Int)] = []
        if waitForWorkersChecksEndpoints {
            for (name, value) in environment where name.hasSuffix("_WORKER_ENDPOINT_ADDRESSES") {
                addresses += (Program.stringArray(value) ?? []).compactMap(Program.hostAndPort)
            }
        }
        container.log("waiting for \(nodes.count) workers")
        let ready = await container.waitUntil { [addresses] cluster in
            nodes.allSatisfy { cluster.resolve($0).map(ClusterView.isReady) ?? false }
                && addresses.allSatisfy { (try? cluster.connect(host: $0.0, port: $0.1).get()) != nil }
        }
        guard ready else { return .exited(143) }
        container.log("all \(nodes.count) workers are ready")
        return .exited(0)
    }
}

extension ConformancePodBehavior {
    /// TygerKit's worker-wait script: per replica, `nc -z` every port until it connects (or
    /// `nslookup` the host when there are no ports), with the script's progress lines.
    private func runWorkerWaitScript(
        _ container: SimulatedContainer, replicas: Int, prefix: String, suffix: String, ports: [Int]
    ) async -> ContainerExit {
        for index in 0..<replicas {
            let host = "\(prefix)\(index)\(suffix)"
            var checks: [(what: String, ready: @Sendable (ClusterView) -> Bool)] = []
            if ports.isEmpty {
                checks.append(("\(host) to resolve", { @Sendable cluster in cluster.resolve(host) != nil }))
            }
            for port in ports {
                checks.append(("\(host):\(port)", { @Sendable cluster in (try? cluster.connect(host: host, port: port).get()) != nil }))
            }
            for check in checks where !check.ready(container.cluster) {
                container.log("waiting for \(check.what) (try 1)")
                guard await container.waitUntil(check.ready) else { return .exited(143) }
            }
            container.log("worker replica \(index) is ready (\(index + 1) of \(replicas))")
        }
        container.log("all \(replicas) worker replicas are ready")
        return .exited(0)
    }
}

/// `--fail-first-start` markers, one set per pod: the marker file is gone with the pod.
private final class FirstStartMarkers: Sendable {
    private let seen = Mutex<Set<String>>([])

    /// Whether this is the first start for `marker` in pod `uid`; records it.
    func isFirst(pod uid: String, marker: String) -> Bool {
        seen.withLock { $0.insert(uid + "\u{0}" + marker).inserted }
    }
}

/// One run of the simulated program, with the real program's messages and exit statuses.
private struct Program {
    let container: SimulatedContainer
    let markers: FirstStartMarkers

    /// The simulation answers with the real program's statuses, not its whole help text: the
    /// commands are the real program's (`tyger-conformance --help` lists them).
    static let usageLine = "usage: tyger-conformance <command> [arguments]; run the real program with --help for the commands"

    func usage(_ problem: String) -> ContainerExit {
        container.logError("tyger-conformance: \(problem)")
        container.logError(Self.usageLine)
        return .exited(64)
    }

    func fail(_ message: String) -> ContainerExit {
        container.logError("tyger-conformance: \(message)")
        return .exited(1)
    }

    private func seconds(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        return value
    }

    func exit(_ arguments: [String]) -> ContainerExit {
        guard arguments.count == 1, let code = Int32(arguments[0]), (0...255).contains(code) else {
            return usage("exit: expected one status code in 0...255")
        }
        container.log("exiting with \(code)")
        return .exited(code)
    }

    func sleep(_ arguments: [String]) async -> ContainerExit {
        guard arguments.count == 1 else { return usage("sleep: expected one duration in seconds") }
        guard let duration = seconds(arguments[0]) else {
            return usage("sleep: '\(arguments[0])' is not a non-negative number of seconds")
        }
        container.trapTermination()
        if await container.sleep(seconds: duration) { container.log("sleep: stopping on SIGTERM") }
        return .exited(0)
    }

    func ignoreTerm(_ arguments: [String]) async -> ContainerExit {
        guard arguments.count == 1 else { return usage("ignore-term: expected one duration in seconds") }
        guard let duration = seconds(arguments[0]) else {
            return usage("ignore-term: '\(arguments[0])' is not a non-negative number of seconds")
        }
        container.trapTermination()
        container.log("ignoring SIGTERM for \(arguments[0]) seconds")
        try? await Task.sleep(for: .milliseconds(Int(duration * 1000)))
        return .exited(0)
    }

    func print(_ arguments: [String]) async -> ContainerExit {
        guard let count = arguments.first.flatMap(Int.init), count >= 0 else {
            return usage("print: expected a non-negative line count")
        }
        var interval = 0.0
        if arguments.count == 3, arguments[1] == "--every", let seconds = Double(arguments[2]), seconds >= 0 {
            interval = seconds
        } else if arguments.count != 1 {
            return usage("print: expected <count> [--every <seconds>]")
        }
        for line in 0..<count {
            container.log("line \(line)")
            if line.isMultiple(of: 2) { container.logError("err \(line)") }
            if interval > 0, await container.sleep(seconds: interval) { return .exited(0) }
        }
        return .exited(0)
    }

    func env(_ arguments: [String]) -> ContainerExit {
        for name in arguments {
            if let value = container.environment[name] {
                container.log("\(name)=\(value)")
            } else {
                container.log("\(name) unset")
            }
        }
        return .exited(0)
    }

    func pidFile(_ arguments: [String]) async -> ContainerExit {
        guard arguments.count == 1 else { return usage("pid-file: expected one path") }
        container.trapTermination()
        if await container.sleep(seconds: 100_000) { container.log("pid-file: stopping on SIGTERM") }
        return .exited(0)
    }

    // MARK: worker

    func worker(_ arguments: [String]) async -> ContainerExit {
        var marker: String?
        var listenDelay: Double?
        var rest = arguments[...]
        while let option = rest.popFirst() {
            switch (option, rest.popFirst()) {
            case ("--fail-first-start", let path?): marker = path
            case ("--listen-after", let text?):
                guard let value = Double(text), value >= 0 else { return usage("worker: bad --listen-after '\(text)'") }
                listenDelay = value
            default: return usage("worker: unexpected argument '\(option)'")
            }
        }
        container.trapTermination()
        guard let indexText = container.environment["TYGER_WORKER_INDEX"] else {
            return fail("worker: TYGER_WORKER_INDEX is not set")
        }
        guard let index = Int(indexText), index >= 0, String(index) == indexText else {
            return fail("worker: TYGER_WORKER_INDEX is '\(indexText)', not a replica index")
        }
        if let marker, markers.isFirst(pod: container.pod.uid, marker: marker) {
            container.logError("worker \(index): first start (created \(marker)); exiting with 1")
            return .exited(1)
        }
        if let listenDelay, await container.sleep(seconds: listenDelay) {
            container.log("worker \(index) stopping on SIGTERM")
            return .exited(0)
        }
        var endpoints: [(name: String, port: Int)] = []
        for (variable, value) in container.environment
        where variable.hasPrefix("TYGER_") && variable.hasSuffix("_ENDPOINT_PORT") && variable.count > 21 {
            let name = String(variable.dropFirst(6).dropLast(14))
            guard name == name.uppercased() else {
                return fail(
                    "worker: \(variable) is not a valid endpoint variable; endpoint names are upper-cased in variable names")
            }
            guard let port = Int(value), (1...65535).contains(port), String(port) == value else {
                return fail("worker: \(variable) is '\(value)', not a port in 1...65535")
            }
            endpoints.append((name.lowercased(), port))
        }
        endpoints.sort { $0.name < $1.name }
        if endpoints.isEmpty {
            container.log("worker \(index) has no endpoints; waiting for SIGTERM")
            await container.waitForTermination()
        } else {
            let run = container.environment["TYGER_RUN_ID"] ?? "?"
            let instance = "\(run)/\(container.pid)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            for endpoint in endpoints {
                container.listen(on: endpoint.port, reply: "\(index) \(endpoint.name) \(instance)\n")
            }
            container.log("worker \(index) listening on " + endpoints.map { "\($0.name)=\($0.port)" }.joined(separator: " "))
            await container.waitForTermination()
        }
        container.log("worker \(index) stopping on SIGTERM")
        return .exited(0)
    }

    // MARK: job-discovery

    func jobDiscovery(_ arguments: [String]) -> ContainerExit {
        guard let name = arguments.first else { return usage("job-discovery: missing endpoint name") }
        var expected: Int?
        var rest = arguments.dropFirst()
        while let option = rest.popFirst() {
            guard option == "--expect-replicas", let text = rest.popFirst(), let count = Int(text), count > 0 else {
                return usage("job-discovery: expected '--expect-replicas N' with N > 0")
            }
            expected = count
        }
        guard name.first?.isLetter == true, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else {
            return fail("job-discovery: '\(name)' is not a valid endpoint name")
        }
        let nodesVariable = "TYGER_WORKER_NODES"
        let addressesVariable = "TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES"
        let nodesText: String
        switch Self.list(nodesVariable, in: container) {
        case .failure(let message): return fail("job-discovery: \(message)")
        case .success(let text): nodesText = text
        }
        guard let nodes = Self.stringArray(nodesText) else {
            return fail("job-discovery: \(nodesVariable) is not a JSON array of strings: \(nodesText)")
        }
        let addressesText: String
        switch Self.list(addressesVariable, in: container) {
        case .failure(let message): return fail("job-discovery: \(message)")
        case .success(let text): addressesText = text
        }
        guard let addresses = Self.stringArray(addressesText) else {
            return fail("job-discovery: \(addressesVariable) is not a JSON array of strings: \(addressesText)")
        }
        guard nodes.count == addresses.count else {
            return fail(
                "job-discovery: TYGER_WORKER_NODES has \(nodes.count) entries but the '\(name)' addresses have \(addresses.count)")
        }
        guard !addresses.isEmpty else { return fail("job-discovery: the run has no worker replicas") }
        if let expected, addresses.count != expected {
            return fail("job-discovery: expected \(expected) replicas, discovered \(addresses.count)")
        }
        var instances: [String] = []
        for (position, address) in addresses.enumerated() {
            guard let (host, port) = Self.hostAndPort(address) else {
                return fail("job-discovery: '\(address)' is not a host:port address")
            }
            guard nodes[position] == host else {
                return fail(
                    "job-discovery: TYGER_WORKER_NODES[\(position)] is '\(nodes[position])' but address \(position) is on '\(host)'")
            }
            let reply: String
            switch container.cluster.connect(host: host, port: port) {
            case .failure(let error): return fail("job-discovery: \(error)")
            case .success(let text): reply = text
            }
            if let pod = container.cluster.resolve(host) {
                let declared = (pod[path: ["spec", "containers"]]?.arrayValue ?? []).flatMap {
                    ($0["ports"]?.arrayValue ?? []).compactMap { $0["containerPort"]?.intValue }
                }
                if !declared.contains(port) {
                    return fail("job-discovery: worker pod \(pod.name) does not declare containerPort \(port) (declares \(declared))")
                }
            }
            let fields = reply.split(separator: " ", omittingEmptySubsequences: false)
            guard reply.hasSuffix("\n"), fields.count == 3, let index = Int(fields[0]), fields[2].count > 1 else {
                return fail(
                    "job-discovery: \(address) answered \(JSONValue.string(reply).serialized); expected '<index> <endpoint> <instance>\\n'")
            }
            let instance = String(fields[2].dropLast())
            if let run = container.environment["TYGER_RUN_ID"], !instance.hasPrefix("\(run)/") {
                return fail("job-discovery: \(address) answered as \(instance), a worker of another run than \(run)")
            }
            guard index == position else {
                return fail(
                    "job-discovery: address \(position) (\(address)) answered as worker \(index); addresses are not in replica order")
            }
            guard fields[1] == name.lowercased() else {
                return fail("job-discovery: \(address) answered for endpoint '\(fields[1])', expected '\(name.lowercased())'")
            }
            if let twin = instances.firstIndex(of: instance) {
                return fail("job-discovery: \(address) and \(addresses[twin]) are served by the same process (\(instance))")
            }
            instances.append(instance)
        }
        let summary: [String] = [
            "\"replicas\":\(addresses.count)",
            "\"indexes\":[\(addresses.indices.map(String.init).joined(separator: ","))]",
            "\"instances\":[\(instances.map { JSONValue.string($0).serialized }.joined(separator: ","))]",
            "\"nodes\":[\(nodes.map { JSONValue.string($0).serialized }.joined(separator: ","))]",
            "\"addresses\":[\(addresses.map { JSONValue.string($0).serialized }.joined(separator: ","))]",
        ]
        container.log("{" + summary.joined(separator: ",") + "}")
        return .exited(0)
    }

    struct ListError: Error { var message: String }

    /// The list in `variable`, or else in the file named by `variable_FILE`, as the real program
    /// reads it through `TygerWorkerDiscovery`. Files are read from the container's ConfigMap
    /// volume mounts: a path under a mount is the key of the mounted ConfigMap.
    static func list(_ variable: String, in container: SimulatedContainer) -> Result<String, ListError> {
        if let inline = container.environment[variable] { return .success(inline) }
        guard let path = container.environment[variable + "_FILE"] else {
            return .failure(ListError(message: "\(variable) is not set (nor \(variable)_FILE)"))
        }
        guard let text = readMountedFile(path, in: container) else {
            return .failure(ListError(message: "open \(path) (named by \(variable)_FILE): no such file or directory"))
        }
        return .success(text)
    }

    /// A file of a ConfigMap volume as the kubelet would project it, or `nil` when none holds it.
    static func readMountedFile(_ path: String, in container: SimulatedContainer) -> String? {
        let volumes = container.pod[path: ["spec", "volumes"]]?.arrayValue ?? []
        for mount in container.spec["volumeMounts"]?.arrayValue ?? [] {
            guard let mountPath = mount["mountPath"]?.stringValue, let volumeName = mount["name"]?.stringValue else {
                continue
            }
            let directory = mountPath.hasSuffix("/") ? mountPath : mountPath + "/"
            guard path.hasPrefix(directory) else { continue }
            let key = String(path.dropFirst(directory.count))
            guard !key.contains("/"),
                let volume = volumes.first(where: { $0["name"]?.stringValue == volumeName }),
                let mapName = volume[path: ["configMap", "name"]]?.stringValue,
                let map = container.cluster.object("configmaps", namespace: container.pod.namespace, name: mapName),
                let text = map[path: ["data", key]]?.stringValue
            else { continue }
            return text
        }
        return nil
    }

    static func stringArray(_ text: String) -> [String]? {
        guard let value = try? JSONValue(parsing: text), let elements = value.arrayValue else { return nil }
        let strings = elements.compactMap(\.stringValue)
        return strings.count == elements.count ? strings : nil
    }

    static func hostAndPort(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        return (host, port)
    }
}
