import Foundation
import Synchronization

/// One pod on the simulated node: runs its init containers in order, then its containers
/// together, restarts them per `restartPolicy`, and keeps `status` up to date.
final class PodWorker: Sendable {
    private enum RunState: Sendable, Equatable {
        case waiting(reason: String, message: String?)
        case running(startedAt: String)
        case terminated(exitCode: Int32, reason: String, startedAt: String, finishedAt: String, containerID: String)
    }

    private struct ContainerModel: Sendable {
        var spec: JSONValue
        var state: RunState
        var lastState: RunState?
        var restartCount = 0
        var started = false
        /// No further starts will happen.
        var done = false
        var containerID: String?

        var name: String { spec["name"]?.stringValue ?? "" }
        var lastExitCode: Int32? {
            if case .terminated(let code, _, _, _, _) = state { return code }
            return nil
        }
    }

    private struct State: Sendable {
        var initContainers: [ContainerModel]
        var containers: [ContainerModel]
        var live: [String: SimulatedContainer] = [:]
        var initialized = false
        var initFailed = false
        var terminalPhase: String?
        var startTime: String?
        /// Condition type → (status, lastTransitionTime).
        var conditions: [String: (String, String)] = [:]
        var mainExited = false
        var deletionFinished = false
        var task: Task<Void, Never>?
    }

    let uid: String
    let namespace: String
    let name: String
    private let pod: JSONValue
    private let podIP: String
    private let kubelet: Kubelet
    private let state: Mutex<State>
    /// Raised when the pod is being deleted; interrupts start delays and restart back-offs.
    private let deletion = TerminationSignal()

    init(pod: JSONValue, podIP: String, kubelet: Kubelet) {
        self.pod = pod
        self.uid = pod.uid
        self.namespace = pod.namespace
        self.name = pod.name
        self.podIP = podIP
        self.kubelet = kubelet
        let spec = pod["spec"] ?? [:]
        let hasInit = !(spec["initContainers"]?.arrayValue ?? []).isEmpty
        state = Mutex(
            State(
                initContainers: (spec["initContainers"]?.arrayValue ?? []).map {
                    ContainerModel(spec: $0, state: .waiting(reason: "PodInitializing", message: nil))
                },
                containers: (spec["containers"]?.arrayValue ?? []).map {
                    ContainerModel(
                        spec: $0, state: .waiting(reason: hasInit ? "PodInitializing" : "ContainerCreating", message: nil))
                }))
    }

    private var restartPolicy: String { pod[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always" }

    func start() {
        let task = Task { await self.main() }
        state.withLock { $0.task = task }
    }

    // MARK: Lifecycle

    private func main() async {
        state.withLock { $0.startTime = ObjectMeta.timestamp() }
        publish()
        let initCount = state.withLock { $0.initContainers.count }
        initLoop: for index in 0..<initCount {
            while !deletion.isRaised {
                guard let exit = await runOnce(index: index, isInit: true) else { break initLoop }
                guard case .exited(let code) = exit else {
                    await deletion.wait()
                    break initLoop
                }
                if code == 0 {
                    update { $0.initContainers[index].done = true }
                    continue initLoop
                }
                if restartPolicy == "Never" {
                    update {
                        $0.initContainers[index].done = true
                        $0.initFailed = true
                        $0.terminalPhase = "Failed"
                        for position in $0.containers.indices { $0.containers[position].done = true }
                    }
                    break initLoop
                }
                update { model in
                    model.initContainers[index].lastState = model.initContainers[index].state
                    model.initContainers[index].restartCount += 1
                    model.initContainers[index].state = .waiting(
                        reason: "CrashLoopBackOff", message: "back-off restarting failed container")
                }
                await deletion.sleep(for: kubelet.timing.restartBackoff)
            }
        }
        let proceed = state.withLock { state -> Bool in
            guard !state.initFailed, !deletion.isRaised else { return false }
            state.initialized = true
            for index in state.containers.indices {
                state.containers[index].state = .waiting(reason: "ContainerCreating", message: nil)
            }
            return true
        }
        if proceed {
            publish()
            let count = state.withLock { $0.containers.count }
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<count { group.addTask { await self.runMain(index: index) } }
            }
        }
        let terminating = state.withLock { state -> Bool in
            state.mainExited = true
            if !deletion.isRaised, state.terminalPhase == nil { state.terminalPhase = computedPhase(state) }
            return deletion.isRaised
        }
        if terminating { finishDeletion() } else { publish() }
    }

    private func runMain(index: Int) async {
        while true {
            guard let exit = await runOnce(index: index, isInit: false) else { break }
            guard case .exited(let code) = exit else {
                await deletion.wait()
                break
            }
            if deletion.isRaised { break }
            let restart = restartPolicy == "Always" || (restartPolicy == "OnFailure" && code != 0)
            if !restart { break }
            update { model in
                model.containers[index].lastState = model.containers[index].state
                model.containers[index].restartCount += 1
                if code != 0 {
                    model.containers[index].state = .waiting(
                        reason: "CrashLoopBackOff",
                        message: "back-off restarting failed container=\(model.containers[index].name) pod=\(name)_\(namespace)(\(uid))")
                }
            }
            if await deletion.sleep(for: kubelet.timing.restartBackoff) { break }
        }
        update { $0.containers[index].done = true }
    }

    /// Starts one container and waits for it to end; `nil` when the pod was deleted before it started.
    private func runOnce(index: Int, isInit: Bool) async -> ContainerExit? {
        if await deletion.sleep(for: kubelet.timing.containerStartDelay) { return nil }
        let spec = state.withLock { isInit ? $0.initContainers[index].spec : $0.containers[index].spec }
        let containerName = spec["name"]?.stringValue ?? ""
        let current = kubelet.registry.store.get(ResourceCatalog.pods, namespace: namespace, name: name) ?? pod
        var environment: [String: String] = [:]
        while true {
            do {
                environment = try ContainerEnvironment.resolve(container: spec, pod: current, store: kubelet.registry.store)
                break
            } catch {
                update { model in
                    let state = RunState.waiting(reason: "CreateContainerConfigError", message: error.message)
                    if isInit { model.initContainers[index].state = state } else { model.containers[index].state = state }
                }
                // The kubelet retries; a ConfigMap created meanwhile lets the container start.
                if await deletion.sleep(for: max(kubelet.timing.restartBackoff, .milliseconds(50))) { return nil }
            }
        }
        let restartCount = state.withLock { isInit ? $0.initContainers[index].restartCount : $0.containers[index].restartCount }
        let container = SimulatedContainer(
            pod: current, spec: spec, isInitContainer: isInit, restartCount: restartCount,
            commandLine: ContainerEnvironment.commandLine(container: spec, environment: environment),
            environment: environment, pid: kubelet.nextPID(),
            cluster: ClusterView(store: kubelet.registry.store, network: kubelet.network, namespace: namespace),
            logs: kubelet.logs, network: kubelet.network,
            onReadinessChange: { [weak self] in self?.publish() })
        let startedAt = ObjectMeta.timestamp()
        let containerID = "containerd://" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let started = state.withLock { state -> Bool in
            guard !deletion.isRaised else { return false }
            state.live[containerName] = container
            var model = isInit ? state.initContainers[index] : state.containers[index]
            model.state = .running(startedAt: startedAt)
            model.started = true
            model.containerID = containerID
            if isInit { state.initContainers[index] = model } else { state.containers[index] = model }
            return true
        }
        guard started else { return nil }
        kubelet.logs.start(pod: uid, container: containerName)
        publish()
        let behavior = kubelet.behavior
        let program = Task {
            let exit = await behavior.run(container)
            container.finish(exit)
        }
        let exit = await container.exitStatus()
        program.cancel()
        kubelet.logs.finish(pod: uid, container: containerName)
        let finishedAt = ObjectMeta.timestamp()
        update { model in
            model.live[containerName] = nil
            let state: RunState
            switch exit {
            case .exited(let code):
                state = .terminated(
                    exitCode: code, reason: code == 0 ? "Completed" : "Error", startedAt: startedAt,
                    finishedAt: finishedAt, containerID: containerID)
            case .waiting(let reason, let message):
                state = .waiting(reason: reason, message: message)
            }
            if isInit {
                model.initContainers[index].state = state
            } else {
                model.containers[index].state = state
            }
            if case .waiting = exit {
                if isInit { model.initContainers[index].started = false } else { model.containers[index].started = false }
            }
        }
        return exit
    }

    /// The pod is being deleted: SIGTERM now, SIGKILL after the grace period.
    func terminate() {
        guard deletion.raise() else { return }
        let (live, exited) = state.withLock { (Array($0.live.values), $0.mainExited) }
        if exited {
            finishDeletion()
            return
        }
        for container in live where !container.requestTermination() {
            container.finish(.exited(143))
        }
        let grace = kubelet.timing.terminationGracePeriod
        Task {
            try? await Task.sleep(for: grace)
            let remaining = self.state.withLock { Array($0.live.values) }
            for container in remaining { container.finish(.exited(137)) }
        }
    }

    /// The pod vanished from the store (force deletion): stop everything at once.
    func kill() {
        deletion.raise()
        let (live, task) = state.withLock { state in
            state.deletionFinished = true
            return (Array(state.live.values), state.task)
        }
        for container in live { container.finish(.exited(137)) }
        task?.cancel()
    }

    private func finishDeletion() {
        let first = state.withLock { state -> Bool in
            defer { state.deletionFinished = true }
            if state.terminalPhase == nil {
                let codes = state.containers.map(\.lastExitCode)
                state.terminalPhase = codes.allSatisfy { $0 == 0 } ? "Succeeded" : "Failed"
            }
            return !state.deletionFinished
        }
        guard first else { return }
        publish()
        kubelet.registry.finishDeletion(ResourceCatalog.pods, namespace: namespace, name: name, uid: uid)
    }

    // MARK: Status

    private func update(_ change: (inout State) -> Void) {
        state.withLock { change(&$0) }
        publish()
    }

    private func computedPhase(_ state: State) -> String {
        if let terminal = state.terminalPhase { return terminal }
        if state.initFailed { return "Failed" }
        if !state.initialized || !state.containers.contains(where: \.started) { return "Pending" }
        if state.containers.allSatisfy(\.done) {
            return state.containers.allSatisfy { $0.lastExitCode == 0 } ? "Succeeded" : "Failed"
        }
        return "Running"
    }

    private func isReady(_ model: ContainerModel, live: SimulatedContainer?) -> Bool {
        guard case .running = model.state else { return false }
        guard let probe = model.spec["readinessProbe"] else { return true }
        if live?.isExplicitlyReady == true { return true }
        let declared = (model.spec["ports"]?.arrayValue ?? [])
        var port = probe[path: ["tcpSocket", "port"]] ?? probe[path: ["httpGet", "port"]] ?? probe[path: ["grpc", "port"]]
        if case .string(let portName)? = port {
            port = declared.first { $0["name"]?.stringValue == portName }?["containerPort"]
        }
        if let number = port?.intValue { return kubelet.network.isListening(pod: uid, port: number) }
        // An exec probe cannot be run here; assume it checks every declared port.
        let ports = declared.compactMap { $0["containerPort"]?.intValue }
        return !ports.isEmpty && ports.allSatisfy { kubelet.network.isListening(pod: uid, port: $0) }
    }

    /// Writes the pod's status from the model; the lock is held across the write so that two
    /// concurrent publishes cannot store an older model after a newer one.
    private func publish() {
        state.withLock { state in
            guard !state.deletionFinished else { return }
            let now = ObjectMeta.timestamp()
            let phase = computedPhase(state)
            let statuses = state.containers.map { model in
                (model, isReady(model, live: state.live[model.name]))
            }
            let containersReady = phase == "Running" && statuses.allSatisfy(\.1)
            let initialized = state.initialized || state.initContainers.allSatisfy(\.done)
            let desired: [(String, Bool, String?)] = [
                ("PodReadyToStartContainers", true, nil),
                ("Initialized", initialized, initialized ? nil : "ContainersNotInitialized"),
                ("Ready", containersReady, containersReady ? nil : (phase == "Succeeded" || phase == "Failed") ? "PodCompleted" : "ContainersNotReady"),
                ("ContainersReady", containersReady, containersReady ? nil : (phase == "Succeeded" || phase == "Failed") ? "PodCompleted" : "ContainersNotReady"),
                ("PodScheduled", true, nil),
            ]
            var conditions: [JSONValue] = []
            for (type, flag, reason) in desired {
                let status = flag ? "True" : "False"
                if state.conditions[type]?.0 != status { state.conditions[type] = (status, now) }
                var condition: JSONValue = [
                    "type": .string(type), "status": .string(status), "lastProbeTime": .null,
                    "lastTransitionTime": .string(state.conditions[type]!.1),
                ]
                if let reason { condition["reason"] = .string(reason) }
                conditions.append(condition)
            }
            var status: JSONValue = [
                "phase": .string(phase), "conditions": .array(conditions), "hostIP": .string(Kubelet.hostIP),
                "hostIPs": [["ip": .string(Kubelet.hostIP)]], "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]],
                "qosClass": "BestEffort",
                "containerStatuses": .array(statuses.map { Self.render($0.0, ready: $0.1) }),
            ]
            if let startTime = state.startTime { status["startTime"] = .string(startTime) }
            if !state.initContainers.isEmpty {
                status["initContainerStatuses"] = .array(state.initContainers.map { Self.render($0, ready: $0.done && !state.initFailed) })
            }
            kubelet.registry.modify(ResourceCatalog.pods, namespace: namespace, name: name, uid: uid) { pod in
                pod[path: ["spec", "nodeName"]] = .string(Kubelet.nodeName)
                pod["status"] = status
            }
        }
    }

    private static func render(_ model: ContainerModel, ready: Bool) -> JSONValue {
        var status: JSONValue = [
            "name": .string(model.name), "image": model.spec["image"] ?? "", "imageID": "",
            "ready": .bool(ready), "restartCount": JSONValue(model.restartCount), "started": .bool(model.started && {
                if case .running = model.state { return true } else { return false }
            }()),
            "state": render(model.state), "lastState": model.lastState.map(render) ?? [:],
        ]
        if let containerID = model.containerID { status["containerID"] = .string(containerID) }
        return status
    }

    private static func render(_ state: RunState) -> JSONValue {
        switch state {
        case .waiting(let reason, let message):
            var waiting: JSONValue = ["reason": .string(reason)]
            if let message { waiting["message"] = .string(message) }
            return ["waiting": waiting]
        case .running(let startedAt):
            return ["running": ["startedAt": .string(startedAt)]]
        case .terminated(let code, let reason, let startedAt, let finishedAt, let containerID):
            return [
                "terminated": [
                    "exitCode": JSONValue(Int(code)), "reason": .string(reason), "startedAt": .string(startedAt),
                    "finishedAt": .string(finishedAt), "containerID": .string(containerID),
                ]
            ]
        }
    }
}
