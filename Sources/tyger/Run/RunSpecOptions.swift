import ArgumentParser
import Foundation
import TygerKit

/// The flags shared by `run create` and `run exec`, with Tyger's CLI's meaning. A flag
/// overrides the run file's value only when it is given; `--tag`, `--buffer` and
/// `--buffer-tag` add to the file's maps, a flag's key winning over the file's.
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

    @Option(help: "A run tag, KEY=VALUE or K1=V1,K2=V2; repeatable; added to the file's tags.")
    var tag: [String] = []

    @Option(name: [.short, .long], help: "A buffer argument, PARAMETER=BUFFER_ID ('_' for a temporary one); repeatable.")
    var buffer: [String] = []

    @Option(help: "A tag for the buffers the run creates, KEY=VALUE; repeatable.")
    var bufferTag: [String] = []

    @Option(help: "How long the buffers the run creates live, D.HH:MM[:SS] (for example 1.12:00).")
    var bufferTtl: String?

    @Option(help: .hidden)
    var bufferAccessTtl: String?

    @Flag(help: "Pull the codespecs' images before the run starts (container backends only).")
    var pull = false

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
        if !buffer.isEmpty {
            spec.job.buffers.merge(try PflagValues.stringToString(buffer, flag: "-b, --buffer")) { _, flag in flag }
        }
        if !bufferTag.isEmpty {
            spec.job.tags.merge(try PflagValues.stringToString(bufferTag, flag: "--buffer-tag")) { _, flag in flag }
        }
        if let bufferTtl { spec.job.bufferTtl = try TimeToLive.bufferTtl(bufferTtl) }
        if let bufferAccessTtl { spec.bufferAccessTtl = try TimeToLive.normalized(bufferAccessTtl) }
        if !tag.isEmpty { spec.tags.merge(try PflagValues.stringToString(tag, flag: "--tag")) { _, flag in flag } }
        try spec.validate()
        return spec
    }

    /// Refuses `--pull` on a backend that cannot pull images, before anything starts.
    func checkPull(for backend: any ClusterBackend) throws {
        guard pull, !backend.capabilities.imagePulls else { return }
        throw CommandLineError(
            "--pull pulls a run's images through a container engine, and the \(backend.name) backend "
                + (backend.capabilities.containerImages
                    ? "pulls them on its nodes itself; leave out --pull"
                    : "runs no images (it runs each codespec's command); leave out --pull, or use --backend docker"))
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

/// Time-to-live flags as Tyger's CLI reads them.
enum TimeToLive {
    /// `--buffer-ttl`: `D.HH:MM` or `D.HH:MM:SS`, days required, passed on as written.
    static func bufferTtl(_ text: String) throws -> String {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let clock = parts.count == 2 ? parts[1].split(separator: ":", omittingEmptySubsequences: false) : []
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit),
            clock.count == 2 || clock.count == 3, clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) })
        else {
            throw CommandLineError("invalid buffer TTL format: \(text) (should be D.HH:MM)")
        }
        return text
    }

    /// `--buffer-access-ttl`: `D`, `D.HH`, `D.HH:MM` or `D.HH:MM:SS` (hours to 23, minutes and
    /// seconds to 59), normalized to `D.HH:MM:SS`.
    static func normalized(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let days = Int(parts[0]), days >= 0, parts[0].allSatisfy(\.isASCIIDigit) else {
            throw CommandLineError("invalid TTL format: '\(text)'")
        }
        var clock = [0, 0, 0]
        if parts.count == 2 {
            let fields = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            let limits = [(23, "hours"), (59, "minutes"), (59, "seconds")]
            guard (1...3).contains(fields.count) else { throw CommandLineError("invalid TTL format: '\(text)'") }
            for (index, field) in fields.enumerated() {
                guard let value = Int(field), field.allSatisfy(\.isASCIIDigit), value <= limits[index].0 else {
                    throw CommandLineError("invalid \(limits[index].1) in TTL format: '\(text)'")
                }
                clock[index] = value
            }
        }
        return "\(days)." + clock.map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
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
