import TygerKit

/// Applies `codespec create` flags on top of a spec file, each only when it was given.
struct CodespecFlags {
    let command: CodespecCreate

    init(_ command: CodespecCreate) { self.command = command }

    /// `--kind`, read case-insensitively as Tyger's CLI does.
    func kind() throws -> CodespecKind? {
        guard let kind = command.kind else { return nil }
        guard let parsed = CodespecKind(caseInsensitive: kind) else {
            throw flagError("--kind", "'\(kind)' is not a codespec kind; allowed: job, worker")
        }
        return parsed
    }

    /// Applies every flag but `--kind` (see ``CodespecCreate``, where the file's kind wins).
    func apply(to base: Codespec) throws -> Codespec {
        var codespec = base
        if let image = command.image { codespec.image = image }
        if let identity = command.identity { codespec.identity = identity }
        if let workingDir = command.workingDir { codespec.workingDir = workingDir }
        if let maxReplicas = command.maxReplicas { codespec.maxReplicas = maxReplicas }
        if !command.env.isEmpty { codespec.env = try PflagValues.stringToString(command.env, flag: "-e, --env") }
        if !command.input.isEmpty || !command.output.isEmpty {
            var buffers = codespec.buffers ?? BufferParameters()
            if !command.input.isEmpty { buffers.inputs = try PflagValues.stringSlice(command.input, flag: "-i, --input") }
            if !command.output.isEmpty { buffers.outputs = try PflagValues.stringSlice(command.output, flag: "-o, --output") }
            codespec.buffers = buffers
        }
        if !command.endpoint.isEmpty { codespec.endpoints = try endpoints(command.endpoint) }
        if command.command {
            guard !command.values.isEmpty else {
                throw flagError("--command", "--command takes the command from the values after --, and none were given")
            }
            codespec.command = command.values
        } else if !command.values.isEmpty {
            codespec.args = command.values
        }
        try applyResources(to: &codespec)
        return codespec
    }

    private func applyResources(to codespec: inout Codespec) throws {
        var resources = codespec.resources ?? CodespecResources()
        var requests = resources.requests ?? ResourceAmounts()
        var limits = resources.limits ?? ResourceAmounts()
        if let text = command.cpuRequest { requests.cpu = try quantity(text, flag: "--cpu-request") }
        if let text = command.memoryRequest { requests.memory = try quantity(text, flag: "--memory-request") }
        if let text = command.cpuLimit { limits.cpu = try quantity(text, flag: "--cpu-limit") }
        if let text = command.memoryLimit { limits.memory = try quantity(text, flag: "--memory-limit") }
        if let text = command.gpu { resources.gpu = try quantity(text, flag: "--gpu") }
        if let text = command.shm { resources.shm = try quantity(text, flag: "--shm") }
        resources.requests = requests.isEmpty ? nil : requests
        resources.limits = limits.isEmpty ? nil : limits
        codespec.resources = resources.isEmpty ? nil : resources
    }

    private func quantity(_ text: String, flag: String) throws -> Quantity {
        do {
            return try Quantity(parsing: text)
        } catch {
            throw flagError(flag, error.description)
        }
    }

    /// `--endpoint a=1,b=2 --endpoint c=3` merges into one list; a later flag's name replaces
    /// an earlier one, and one flag naming an endpoint twice is an error rather than a guess.
    private func endpoints(_ values: [String]) throws -> [Endpoint] {
        var endpoints: [Endpoint] = []
        for value in values {
            var named: Set<Substring> = []
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]) else {
                    throw flagError("--endpoint", "'\(item)' is not NAME=PORT (for example rpc=8080)")
                }
                guard named.insert(parts[0]).inserted else {
                    throw flagError("--endpoint", "'\(value)' gives the endpoint '\(parts[0])' twice; give each endpoint once")
                }
                endpoints.removeAll { $0.name == parts[0] }
                endpoints.append(Endpoint(name: String(parts[0]), port: port))
            }
        }
        return endpoints
    }

    private func flagError(_ flag: String, _ message: String) -> TygerError {
        TygerError(.invalidSpec, message, location: SpecLocation(keyPath: flag))
    }
}
