/// The observed state of one container of a pod (`ContainerStatus`).
///
/// ```swift
/// if let exit = pod.status?.containerStatuses?.first(where: { $0.name == "main" })?.state?.terminated {
///     print("Main exited with code \(exit.exitCode)")
/// }
/// ```
public struct ContainerStatus: Sendable, Hashable, Codable {
    /// The container's name.
    public var name: String
    /// Whether its readiness probe passes.
    public var ready: Bool?
    /// How many times it restarted.
    public var restartCount: Int?
    /// Whether it started (and passed any startup probe).
    public var started: Bool?
    /// The image it runs.
    public var image: String?
    /// What it is doing now.
    public var state: State?
    /// How its previous run ended, after a restart.
    public var lastState: State?

    /// Creates a container status.
    public init(
        name: String,
        ready: Bool? = nil,
        restartCount: Int? = nil,
        started: Bool? = nil,
        image: String? = nil,
        state: State? = nil,
        lastState: State? = nil
    ) {
        self.name = name
        self.ready = ready
        self.restartCount = restartCount
        self.started = started
        self.image = image
        self.state = state
        self.lastState = lastState
    }

    /// One of waiting, running or terminated (`ContainerState`).
    public struct State: Sendable, Hashable, Codable {
        /// Not running yet: pulling the image, crash-looping, ...
        public var waiting: Waiting?
        /// Running.
        public var running: Running?
        /// Exited.
        public var terminated: Terminated?

        /// Creates a container state.
        public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
            self.waiting = waiting
            self.running = running
            self.terminated = terminated
        }
    }

    /// A container not yet running (`ContainerStateWaiting`).
    public struct Waiting: Sendable, Hashable, Codable {
        /// `ContainerCreating`, `ImagePullBackOff`, `ErrImagePull`, `CrashLoopBackOff`, ...
        public var reason: String?
        /// A human-readable explanation.
        public var message: String?

        /// Creates a waiting state.
        public init(reason: String? = nil, message: String? = nil) {
            self.reason = reason
            self.message = message
        }
    }

    /// A running container (`ContainerStateRunning`).
    public struct Running: Sendable, Hashable, Codable {
        /// When it started (RFC 3339).
        public var startedAt: String?

        /// Creates a running state.
        public init(startedAt: String? = nil) {
            self.startedAt = startedAt
        }
    }

    /// An exited container (`ContainerStateTerminated`).
    public struct Terminated: Sendable, Hashable, Codable {
        /// The exit code; 128 + n when killed by signal n.
        public var exitCode: Int
        /// The signal that killed it, if known.
        public var signal: Int?
        /// `Completed`, `Error`, `OOMKilled`, `DeadlineExceeded`, ...
        public var reason: String?
        /// A human-readable explanation.
        public var message: String?
        /// When it started (RFC 3339).
        public var startedAt: String?
        /// When it exited (RFC 3339).
        public var finishedAt: String?

        /// Creates a terminated state.
        public init(
            exitCode: Int, signal: Int? = nil, reason: String? = nil, message: String? = nil,
            startedAt: String? = nil, finishedAt: String? = nil
        ) {
            self.exitCode = exitCode
            self.signal = signal
            self.reason = reason
            self.message = message
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }
}
