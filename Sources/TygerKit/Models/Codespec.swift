public import Foundation

/// A description of code to execute: a job that runs until it exits, or a worker that
/// serves a job on named endpoints.
///
/// ```swift
/// let worker = Codespec(
///     kind: .worker,
///     name: "rpc-worker",
///     command: ["rpc-worker"],
///     endpoints: [Endpoint(name: "rpc", port: 8080)]
/// )
/// ```
///
/// Equality is content equality as codespec versioning defines it: `version` and
/// `createdAt` are ignored, so are the order of `env`, `endpoints` and buffer names, and
/// an empty list or map equals an absent one; quantities compare by value.
public struct Codespec: Sendable, Codable {
    /// Whether this is a job or a worker codespec.
    public var kind: CodespecKind
    /// The name under which versions are stored; `^[a-z0-9\-._]+$`. Absent for inline codespecs.
    public var name: String?
    /// The container image. Required by the Kubernetes backend, ignored by the local one.
    public var image: String?
    /// The entry point, looked up in `PATH` and never run through a shell.
    public var command: [String]
    /// The arguments passed after `command`.
    public var args: [String]
    /// The working directory of the process.
    public var workingDir: String?
    /// Environment variables; values may refer to earlier ones as `$(NAME)`.
    public var env: [String: String]
    /// The workload identity the code runs as (a service account on Kubernetes).
    public var identity: String?
    /// CPU, memory, GPU and shared memory the code asks for.
    public var resources: CodespecResources?
    /// The largest number of replicas a run may ask for; unlimited when `nil`.
    public var maxReplicas: Int?
    /// The buffers a job reads and writes. Jobs only.
    public var buffers: BufferParameters?
    /// Ports through which Tyger connects a job to its buffers. Jobs only.
    public var sockets: [Socket]
    /// The ports a worker serves, in the order they were written. Workers only.
    public var endpoints: [Endpoint]
    /// The version number, set by the store.
    public var version: Int?
    /// When this version was stored, set by the store.
    public var createdAt: Date?

    /// Creates a codespec.
    public init(
        kind: CodespecKind = .job,
        name: String? = nil,
        image: String? = nil,
        command: [String] = [],
        args: [String] = [],
        workingDir: String? = nil,
        env: [String: String] = [:],
        identity: String? = nil,
        resources: CodespecResources? = nil,
        maxReplicas: Int? = nil,
        buffers: BufferParameters? = nil,
        sockets: [Socket] = [],
        endpoints: [Endpoint] = [],
        version: Int? = nil,
        createdAt: Date? = nil
    ) {
        self.kind = kind
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.identity = identity
        self.resources = resources
        self.maxReplicas = maxReplicas
        self.buffers = buffers
        self.sockets = sockets
        self.endpoints = endpoints
        self.version = version
        self.createdAt = createdAt
    }

    /// The codespec without the fields the store sets, as it is compared and stored.
    public var content: Codespec {
        var copy = self
        copy.version = nil
        copy.createdAt = nil
        return copy
    }

    /// In the order Tyger writes them.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, name, version, createdAt, buffers, sockets, image, command, args, workingDir, env, identity
        case resources, maxReplicas, endpoints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decodeIfPresent(CodespecKind.self, forKey: .kind) ?? .job
        name = try container.decodeIfPresent(String.self, forKey: .name)
        image = try container.decodeIfPresent(String.self, forKey: .image)
        command = try container.decodeIfPresent([String].self, forKey: .command) ?? []
        args = try container.decodeIfPresent([String].self, forKey: .args) ?? []
        workingDir = try container.decodeIfPresent(String.self, forKey: .workingDir)
        env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        identity = try container.decodeIfPresent(String.self, forKey: .identity)
        resources = try container.decodeIfPresent(CodespecResources.self, forKey: .resources)
        maxReplicas = try container.decodeIfPresent(Int.self, forKey: .maxReplicas)
        buffers = try container.decodeIfPresent(BufferParameters.self, forKey: .buffers)
        sockets = try container.decodeIfPresent([Socket].self, forKey: .sockets) ?? []
        endpoints = try container.decodeIfPresent(EndpointMap.self, forKey: .endpoints)?.endpoints ?? []
        version = try container.decodeIfPresent(Int.self, forKey: .version)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
    }

    /// Writes the fields in Tyger's order, leaving out empty ones.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(version, forKey: .version)
        try container.encodeIfPresent(createdAt, forKey: .createdAt)
        if let buffers, !buffers.isEmpty { try container.encode(buffers, forKey: .buffers) }
        if !sockets.isEmpty { try container.encode(sockets, forKey: .sockets) }
        try container.encodeIfPresent(image, forKey: .image)
        if !command.isEmpty { try container.encode(command, forKey: .command) }
        if !args.isEmpty { try container.encode(args, forKey: .args) }
        try container.encodeIfPresent(workingDir, forKey: .workingDir)
        if !env.isEmpty { try container.encode(SortedStringMap(env), forKey: .env) }
        try container.encodeIfPresent(identity, forKey: .identity)
        if let resources, !resources.isEmpty { try container.encode(resources, forKey: .resources) }
        try container.encodeIfPresent(maxReplicas, forKey: .maxReplicas)
        if !endpoints.isEmpty { try container.encode(EndpointMap(endpoints), forKey: .endpoints) }
    }
}

extension Codespec: Hashable {
    public static func == (lhs: Codespec, rhs: Codespec) -> Bool {
        lhs.kind == rhs.kind && lhs.name == rhs.name && lhs.image == rhs.image && lhs.command == rhs.command
            && lhs.args == rhs.args && lhs.workingDir == rhs.workingDir && lhs.env == rhs.env
            && lhs.identity == rhs.identity && lhs.normalizedResources == rhs.normalizedResources
            && lhs.maxReplicas == rhs.maxReplicas && lhs.normalizedBuffers == rhs.normalizedBuffers
            && Set(lhs.sockets) == Set(rhs.sockets) && lhs.endpoints.sorted() == rhs.endpoints.sorted()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(name)
        hasher.combine(image)
        hasher.combine(command)
        hasher.combine(args)
        hasher.combine(workingDir)
        hasher.combine(env)
        hasher.combine(identity)
        hasher.combine(normalizedResources)
        hasher.combine(maxReplicas)
        hasher.combine(normalizedBuffers)
        hasher.combine(Set(sockets))
        hasher.combine(endpoints.sorted())
    }

    private var normalizedResources: CodespecResources { resources ?? CodespecResources() }
    private var normalizedBuffers: BufferParameters { buffers ?? BufferParameters() }
}

/// Endpoints as a spec file writes them: a mapping from name to port, in document order.
struct EndpointMap: Codable {
    var endpoints: [Endpoint]

    init(_ endpoints: [Endpoint]) { self.endpoints = endpoints }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: StringCodingKey.self)
        endpoints = try container.allKeys.map { key in
            Endpoint(name: key.stringValue, port: try container.decode(Int.self, forKey: key))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: StringCodingKey.self)
        for endpoint in endpoints {
            try container.encode(endpoint.port, forKey: StringCodingKey(endpoint.name))
        }
    }
}

/// Encodes a string map with its keys sorted, so output is stable from one run to the next.
struct SortedStringMap: Encodable {
    var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: StringCodingKey.self)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: StringCodingKey(key))
        }
    }
}

/// A coding key for maps whose keys are data, not field names.
struct StringCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ stringValue: String) { self.stringValue = stringValue }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
