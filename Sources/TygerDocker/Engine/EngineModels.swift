import Foundation

/// The parts of the Docker Engine API (1.41) the container backend sends and reads; Podman's
/// Docker-compatible service takes and answers the same shapes.

/// `POST /containers/create`.
struct ContainerCreate: Encodable, Sendable, Hashable {
    var Image: String
    var Hostname: String?
    var Entrypoint: [String]?
    var Cmd: [String]?
    var Env: [String]
    var WorkingDir: String?
    var Labels: [String: String]
    var ExposedPorts: [String: EmptyObject]?
    var HostConfig: HostConfig
    var NetworkingConfig: NetworkingConfig?

    struct EmptyObject: Codable, Sendable, Hashable {}

    struct HostConfig: Encodable, Sendable, Hashable {
        var NetworkMode: String?
        /// An init process as PID 1, so SIGTERM reaches programs that do not handle it as PID 1.
        var Init = true
        var NanoCpus: Int64?
        var Memory: Int64?
        var ShmSize: Int64?
        var DeviceRequests: [DeviceRequest]?
        var Binds: [String]?
        var Ulimits: [Ulimit]?
    }

    struct DeviceRequest: Encodable, Sendable, Hashable {
        var Driver = ""
        var Count: Int
        var Capabilities: [[String]] = [["gpu"]]
    }

    struct Ulimit: Encodable, Sendable, Hashable {
        var Name: String
        var Soft: Int64
        var Hard: Int64
    }

    struct NetworkingConfig: Encodable, Sendable, Hashable {
        var EndpointsConfig: [String: EndpointSettings]
    }

    struct EndpointSettings: Encodable, Sendable, Hashable {
        var Aliases: [String]
    }
}

/// `POST /networks/create`.
struct NetworkCreate: Encodable, Sendable {
    var Name: String
    var Driver = "bridge"
    var CheckDuplicate = true
    var Labels: [String: String]
}

/// The answer of a create call.
struct CreatedObject: Decodable, Sendable {
    var Id: String
}

/// `POST /containers/{id}/wait`.
struct WaitResponse: Decodable, Sendable {
    var StatusCode: Int
    var Error: WaitError?

    struct WaitError: Decodable, Sendable {
        var Message: String?
    }
}

/// `GET /containers/{id}/json`, the fields the backend reads.
struct ContainerInspect: Decodable, Sendable {
    var Id: String
    var State: State
    var NetworkSettings: NetworkSettings?

    struct State: Decodable, Sendable {
        var Running: Bool?
        var Pid: Int?
        var ExitCode: Int?
        var Error: String?
    }

    struct NetworkSettings: Decodable, Sendable {
        var Networks: [String: Network]?
    }

    struct Network: Decodable, Sendable {
        var IPAddress: String?
        var Gateway: String?
    }
}

/// `GET /containers/json`, one entry.
struct ContainerSummary: Decodable, Sendable {
    var Id: String
    var Names: [String]?
    var Labels: [String: String]?
    var State: String?
}

/// `GET /networks`, one entry.
struct NetworkSummary: Decodable, Sendable {
    var Id: String
    var Name: String
    var Labels: [String: String]?
}

/// `GET /version`, the fields the backend reads.
struct EngineVersion: Decodable, Sendable {
    var Version: String?
    var ApiVersion: String?
    var Components: [Component]?

    struct Component: Decodable, Sendable {
        var Name: String
    }

    /// Whether the engine is Podman's Docker-compatible service.
    var isPodman: Bool { Components?.contains { $0.Name.localizedCaseInsensitiveContains("podman") } ?? false }
}

/// The body of an engine's error answer.
struct EngineErrorBody: Decodable, Sendable {
    var message: String
}
