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

    @Option(parsing: .unconditional, help: "The job codespec version (default: latest).", transform: WholeNumber.parse)
    var version: Int?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Job replicas.", transform: WholeNumber.parse)
    var replicas: Int?

    @Option(help: "The job's node pool.")
    var nodePool: String?

    @Option(help: "The worker codespec name.")
    var workerCodespec: String?

    @Option(parsing: .unconditional, help: "The worker codespec version (default: latest).", transform: WholeNumber.parse)
    var workerVersion: Int?

    @Option(help: "The workers' node pool.")
    var workerNodePool: String?

    @Option(parsing: .unconditional, help: "Worker replicas.", transform: WholeNumber.parse)
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
        if let version, version < 1 {
            throw ValidationError("\(flag) \(version): codespec versions are numbered from 1")
        }
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

/// Parses `--timeout` the way Tyger's CLI does, with Go's duration grammar: a sequence of
/// decimal numbers, each with a unit (`ns`, `us` or `µs`, `ms`, `s`, `m`, `h`), such as
/// `300s`, `1.5h`, `2h45m` or `.5h`. A plain number is taken as seconds. The result is whole
/// seconds, rounded up, from 1 to ``RunSpec/maximumTimeoutSeconds``.
enum TimeoutParser {
    static func seconds(_ text: String) throws -> Int {
        if let seconds = Int(text) { return try checked(Double(seconds), text) }
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else { throw invalid(text) }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number) else {
                throw invalid(text)
            }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units[String(unitText)] else { throw invalid(text) }
            rest = rest.dropFirst(unitText.count)
            total += value * unit
        }
        return try checked(negative ? -total : total, text)
    }

    private static let units: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]

    private static func checked(_ seconds: Double, _ text: String) throws -> Int {
        guard seconds > 0 else {
            throw ValidationError("--timeout '\(text)' is too short; a run's timeout is at least 1s")
        }
        let whole = seconds.rounded(.up)
        guard whole <= Double(RunSpec.maximumTimeoutSeconds) else {
            throw ValidationError(
                "--timeout '\(text)' is too long; allowed: at most \(RunSpec.maximumTimeoutSeconds / 3600)h (ten years)")
        }
        return max(Int(whole), 1)
    }

    private static func invalid(_ text: String) -> ValidationError {
        ValidationError(
            "--timeout '\(text)' is not a duration; use for example 300s, 1.5h or 2h45m (units: ns, us, ms, s, m, h)")
    }
}

/// Parses a whole-number flag, so that a negative value is a value (not a missing one) and a
/// number too large says so; ranges are checked where the value is used.
enum WholeNumber {
    static func parse(_ text: String) throws -> Int {
        guard let value = Int(text) else {
            let digits = text.drop { $0 == "-" || $0 == "+" }
            if !digits.isEmpty, digits.allSatisfy(\.isNumber) {
                throw ValidationError("'\(text)' is too large; allowed: \(Int.min) to \(Int.max)")
            }
            throw ValidationError("'\(text)' is not a whole number")
        }
        return value
    }
}
