import ArgumentParser
import Foundation
import TygerKit

/// The flags shared by `run create` and `run exec`. A flag overrides the run file's value
/// only when it is given; `--tag` replaces the file's tags.
struct RunSpecOptions: ParsableArguments {
    @Option(name: [.short, .customLong("file")], help: "A run spec file (YAML or JSON).")
    var file: String?

    @Option(name: [.customShort("c"), .long], help: "The job codespec name.")
    var codespec: String?

    @Option(help: "The job codespec version (default: latest).")
    var version: Int?

    @Option(name: [.short, .long], help: "Job replicas.")
    var replicas: Int?

    @Option(help: "The job's node pool.")
    var nodePool: String?

    @Option(help: "The worker codespec name.")
    var workerCodespec: String?

    @Option(help: "The worker codespec version (default: latest).")
    var workerVersion: Int?

    @Option(help: "The workers' node pool.")
    var workerNodePool: String?

    @Option(help: "Worker replicas.")
    var workerReplicas: Int?

    @Option(help: "The target cluster.")
    var cluster: String?

    @Option(help: "How long the run may take, e.g. 300s, 1.5h, 2h45m (default 12h).")
    var timeout: String?

    @Option(help: "A run tag, KEY=VALUE; repeatable.")
    var tag: [String] = []

    func runSpec() throws -> RunSpec {
        var spec: RunSpec
        if let file {
            spec = try SpecFile.decodeRun(contentsOf: URL(fileURLWithPath: file))
        } else {
            guard let codespec else {
                throw ValidationError("give a run file with -f or a job codespec with --codespec")
            }
            spec = RunSpec(job: JobTarget(codespec: .named(codespec, version: nil)))
        }
        if codespec != nil || version != nil {
            spec.job.codespec = try reference(name: codespec, version: version, current: spec.job.codespec, flag: "--version")
        }
        if let replicas { spec.job.replicas = replicas }
        if let nodePool { spec.job.nodePool = nodePool }
        if workerCodespec != nil || workerVersion != nil || workerNodePool != nil || workerReplicas != nil {
            var worker = spec.worker
            if worker == nil {
                guard let workerCodespec else {
                    throw ValidationError("--worker-version, --worker-node-pool and --worker-replicas need --worker-codespec or a worker in the run file")
                }
                worker = WorkerSpec(codespec: .named(workerCodespec, version: nil))
            }
            if var target = worker {
                if workerCodespec != nil || workerVersion != nil {
                    target.codespec = try reference(
                        name: workerCodespec, version: workerVersion, current: target.codespec, flag: "--worker-version")
                }
                if let workerNodePool { target.nodePool = workerNodePool }
                if let workerReplicas { target.replicas = workerReplicas }
                spec.worker = target
            }
        }
        if let cluster { spec.cluster = cluster }
        if let timeout { spec.timeoutSeconds = try TimeoutParser.seconds(timeout) }
        if !tag.isEmpty { spec.tags = try KeyValueFlags.parse(tag, flag: "--tag") }
        try spec.validate()
        return spec
    }

    private func reference(name: String?, version: Int?, current: CodespecReference, flag: String) throws
        -> CodespecReference
    {
        if let name {
            let parsed = try CodespecReference(parsing: name)
            guard case .named(let parsedName, let parsedVersion) = parsed else { return parsed }
            return .named(parsedName, version: version ?? parsedVersion)
        }
        guard case .named(let currentName, _) = current else {
            throw ValidationError("\(flag) applies to a named codespec, but the run file's codespec is inline")
        }
        return .named(currentName, version: version)
    }
}

/// Parses `KEY=VALUE` flags into a map.
enum KeyValueFlags {
    static func parse(_ pairs: [String], flag: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("\(flag) '\(pair)' is not KEY=VALUE")
            }
            values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return values
    }
}

/// Parses durations the way Tyger's CLI accepts them: `300s`, `1.5h`, `2h45m`, `90m`, or plain seconds.
enum TimeoutParser {
    static func seconds(_ text: String) throws -> Int {
        if let seconds = Int(text) { return seconds }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            let unit: Double
            switch character {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: throw invalid(text)
            }
            guard let value = Double(number) else { throw invalid(text) }
            total += value * unit
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total >= 1, total < Double(Int32.max) else { throw invalid(text) }
        return Int(total.rounded(.up))
    }

    private static func invalid(_ text: String) -> ValidationError {
        ValidationError("--timeout '\(text)' is not a duration; use for example 300s, 1.5h or 2h45m")
    }
}
