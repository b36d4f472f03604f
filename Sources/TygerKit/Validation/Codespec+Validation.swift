extension Codespec {
    /// Checks every rule a codespec must follow, and throws one error listing all that fail.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidSpec``.
    public func validate() throws(TygerError) {
        try SpecProblem.throwing(problems(at: []))
    }

    func problems(at path: SpecPath) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        if let name, !CodespecName.isValid(name) {
            // '.' and '..' match the pattern but would name a directory, not a codespec.
            let reserved = name == "." || name == ".." ? " other than '.' and '..'" : ""
            problems.append(
                .init(
                    path / "name",
                    "\(quoted(name)) is not a valid codespec name; allowed: \(CodespecName.pattern)\(reserved)"
                )
            )
        }
        if let image, image.isEmpty {
            problems.append(.init(path / "image", "the image must not be empty; remove the field or name an image"))
        }
        if let workingDir, workingDir.isEmpty {
            problems.append(.init(path / "workingDir", "the working directory must not be empty"))
        }
        for (field, value) in [("workingDir", workingDir), ("image", image), ("identity", identity)] {
            if let value, value.utf8.contains(0) {
                problems.append(.init(path / field, "\(field) must not contain a NUL character"))
            }
        }
        for (index, part) in command.enumerated() where part.utf8.contains(0) {
            problems.append(.init(path / "command" / index, "a command part must not contain a NUL character"))
        }
        for (index, part) in args.enumerated() where part.utf8.contains(0) {
            problems.append(.init(path / "args" / index, "an argument must not contain a NUL character"))
        }
        for (name, value) in env.sorted(by: { $0.key < $1.key }) {
            if !NameRules.isEnvironmentName(name) {
                problems.append(
                    .init(
                        path / "env" / name,
                        "\(quoted(name)) is not a valid environment variable name; allowed: \(NameRules.environmentPattern)"
                    )
                )
            }
            if value.utf8.contains(0) {
                problems.append(.init(path / "env" / name, "an environment value must not contain a NUL character"))
            }
        }
        if let maxReplicas, maxReplicas < 1 {
            problems.append(.init(path / "maxReplicas", "maxReplicas is \(maxReplicas); allowed: 1 or more, or absent"))
        }
        if let resources {
            problems += resources.problems(at: path / "resources")
        }
        problems += bufferProblems(at: path)
        problems += socketProblems(at: path)
        problems += endpointProblems(at: path)
        return problems
    }

    private func bufferProblems(at path: SpecPath) -> [SpecProblem] {
        guard let buffers, !buffers.isEmpty else { return [] }
        guard kind == .job else {
            return [.init(path / "buffers", "a worker codespec cannot have buffers; only job codespecs read and write buffers")]
        }
        var problems: [SpecProblem] = []
        var seen: [String: String] = [:]
        for (list, names) in [("inputs", buffers.inputs), ("outputs", buffers.outputs)] {
            for (index, name) in names.enumerated() {
                let entry = path / "buffers" / list / index
                if !NameRules.isBufferName(name) {
                    problems.append(
                        .init(entry, "\(quoted(name)) is not a valid buffer name; allowed: \(NameRules.bufferPattern)")
                    )
                }
                if let earlier = seen[name.lowercased()] {
                    problems.append(
                        .init(entry, "the buffer name \(quoted(name)) is already used by \(earlier); names must be unique across inputs and outputs")
                    )
                } else {
                    seen[name.lowercased()] = "buffers.\(list)[\(index)]"
                }
            }
        }
        return problems
    }

    /// Tyger's rules for sockets: a valid port, at least one buffer, each buffer among the
    /// codespec's own and used by one socket only.
    private func socketProblems(at path: SpecPath) -> [SpecProblem] {
        guard !sockets.isEmpty else { return [] }
        guard kind == .job else {
            return [.init(path / "sockets", "a worker codespec cannot have sockets; only job codespecs connect buffers to ports")]
        }
        var problems: [SpecProblem] = []
        var used: [String: Int] = [:]
        let inputs = Set((buffers?.inputs ?? []).map { $0.lowercased() })
        let outputs = Set((buffers?.outputs ?? []).map { $0.lowercased() })
        for (index, socket) in sockets.enumerated() {
            let entry = path / "sockets" / index
            if !(1...65_535).contains(socket.port) {
                problems.append(.init(entry / "port", "port \(socket.port) is out of range; allowed: 1-65535"))
            }
            if socket.inputBuffer == nil, socket.outputBuffer == nil {
                problems.append(
                    .init(entry, "socket \(socket.port) names no buffer; give an inputBuffer, an outputBuffer or both"))
            }
            for (field, name, known) in [("inputBuffer", socket.inputBuffer, inputs), ("outputBuffer", socket.outputBuffer, outputs)] {
                guard let name else { continue }
                if !known.contains(name.lowercased()) {
                    let list = field == "inputBuffer" ? "inputs" : "outputs"
                    problems.append(
                        .init(entry / field, "\(quoted(name)) is not among the codespec's buffers.\(list)"))
                }
                if let earlier = used[name.lowercased()] {
                    problems.append(
                        .init(entry / field, "the buffer \(quoted(name)) is already used by sockets[\(earlier)]; a buffer serves one socket"))
                } else {
                    used[name.lowercased()] = index
                }
            }
        }
        return problems
    }

    private func endpointProblems(at path: SpecPath) -> [SpecProblem] {
        guard !endpoints.isEmpty else { return [] }
        guard kind == .worker else {
            return [.init(path / "endpoints", "a job codespec cannot have endpoints; only worker codespecs serve endpoints")]
        }
        var problems: [SpecProblem] = []
        var seen: [String: String] = [:]
        for endpoint in endpoints {
            let entry = path / "endpoints" / endpoint.name
            if !NameRules.isEndpointName(endpoint.name) {
                problems.append(
                    .init(entry, "\(quoted(endpoint.name)) is not a valid endpoint name; allowed: \(NameRules.endpointPattern)")
                )
            }
            if !(1...65_535).contains(endpoint.port) {
                problems.append(.init(entry, "port \(endpoint.port) is out of range; allowed: 1-65535"))
            }
            let variableName = endpoint.name.uppercased()
            if let earlier = seen[variableName] {
                problems.append(
                    .init(entry, "the endpoint '\(endpoint.name)' clashes with '\(earlier)': both become TYGER_\(variableName)_WORKER_ENDPOINT_ADDRESSES; endpoint names must differ in more than case")
                )
            } else {
                seen[variableName] = endpoint.name
            }
        }
        return problems
    }
}

extension CodespecResources {
    func problems(at path: SpecPath) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        let amounts: [(String, Quantity?)] = [
            ("requests.cpu", requests?.cpu), ("requests.memory", requests?.memory),
            ("limits.cpu", limits?.cpu), ("limits.memory", limits?.memory), ("gpu", gpu), ("shm", shm),
        ]
        for (field, quantity) in amounts {
            guard let quantity, quantity.isNegative else { continue }
            problems.append(.init(path + fieldPath(field), "\(quantity) is negative; resource amounts must be 0 or more"))
        }
        if let gpu, !gpu.isNegative, gpu.integerValue.map({ Quantity($0) != gpu }) ?? true {
            problems.append(.init(path / "gpu", "\(gpu) is not a whole number of GPUs"))
        }
        for (name, request, limit) in [("cpu", requests?.cpu, limits?.cpu), ("memory", requests?.memory, limits?.memory)] {
            if let request, let limit, request > limit {
                problems.append(
                    .init(path / "requests" / name, "the \(name) request \(request) is more than its limit \(limit); a request may not exceed the limit")
                )
            }
        }
        return problems
    }

    private func fieldPath(_ dotted: String) -> SpecPath {
        SpecPath(dotted.split(separator: ".").map { .key(String($0)) })
    }
}

extension SpecProblem {
    /// Throws one error for all problems, without locations: for models built in code.
    static func throwing(_ problems: [SpecProblem]) throws(TygerError) {
        let errors = problems.map { TygerError(.invalidSpec, $0.message, location: SpecLocation(keyPath: $0.path.description)) }
        guard var first = errors.first else { return }
        first.related = Array(errors.dropFirst())
        throw first
    }
}
