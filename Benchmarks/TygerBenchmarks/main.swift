import Foundation
import TygerDocker

// tyger-benchmarks: measures the performance targets TygerKit holds itself to, prints each with its target and
// the value it is judged by, and exits 1 when any misses its target. Run it in release:
//
//     swift build -c release --product tyger-conformance && swift run -c release tyger-benchmarks
//
// `--only local,readiness,discovery,startup,spec,kubernetes,containers` runs a subset. `containers` needs an
// engine (DOCKER_HOST, else the usual sockets) with the images of scripts/build-images.sh; without one it is
// left out of the default set, and says so.

// The benchmark starts this executable again as workers and tiny job programs.
ChildRole.runIfRequested(CommandLine.arguments)

let benchmarkNames = ["local", "readiness", "discovery", "startup", "spec", "kubernetes", "containers"]
var selected = Set(benchmarkNames)
let engineSocket = try? EngineSocket.locate()
if engineSocket == nil {
    selected.remove("containers")
    writeLine("(no container engine found: the containers benchmark is left out; set DOCKER_HOST and --only containers)")
}
if let flag = CommandLine.arguments.firstIndex(of: "--only"), flag + 1 < CommandLine.arguments.count {
    selected = Set(CommandLine.arguments[flag + 1].split(separator: ",").map(String.init))
}

let programs: Programs
do {
    programs = try Programs.locate()
} catch {
    writeLine("tyger-benchmarks: \(error)", to: 2)
    exit(2)
}

var figures: [Figure] = []

/// Runs one benchmark if it was selected, printing its figure at once; a benchmark that throws
/// becomes a failed figure, so the others still run.
@MainActor func measure(_ key: String, _ name: String, _ body: () async throws -> Figure) async {
    guard selected.contains(key) else { return }
    writeLine("… \(name)")
    let figure: Figure
    do {
        figure = try await body()
    } catch {
        figure = Figure(name: name, measured: "error: \(error)", target: "-", judgedBy: "-", passes: false)
    }
    writeLine("\(figure.passes ? "PASS" : "FAIL")  \(figure.name): \(figure.measured); target \(figure.target); \(figure.judgedBy)")
    figures.append(figure)
}

await measure("spec", "SpecFile.decodeRun") { try SpecDecodingBenchmark().run() }
await measure("discovery", "WorkerDiscovery.endpoints") { try DiscoveryBenchmark(programs: programs).parse() }
await measure("startup", "job start-up with TygerWorkerDiscovery") {
    let benchmark = DiscoveryBenchmark(programs: programs)
    let libraries = benchmark.sharedLibraries(of: programs.conformance)
    let foundation = libraries.filter { $0.contains("Foundation") }
    writeLine("    tyger-conformance (depends on TygerWorkerDiscovery alone) loads \(libraries.count) shared libraries, Foundation: \(foundation.isEmpty ? "none" : foundation.joined(separator: " "))")
    return try benchmark.startup()
}
await measure("local", "local: create → job start") { try await LocalStartBenchmark(programs: programs).run() }
await measure("local", "local: create → job start, 256 workers") {
    try await LocalStartBenchmark(programs: programs, workers: 256, repetitions: 5, maximumRatio: 1.2).run()
}
await measure("local", "local: create → job start, 1,000 workers") {
    try await LocalStartBenchmark(programs: programs, workers: 1_000, repetitions: 5, maximumRatio: 1.2).run()
}
await measure("readiness", "local: job start after last endpoint ready") {
    try await ReadinessLatencyBenchmark(programs: programs).run()
}
await measure("kubernetes", "kubernetes: API requests per run") {
    let (figure, measurements) = try await KubernetesRequestsBenchmark().run()
    for measurement in measurements {
        writeLine(
            "    \(measurement.workers) workers: submit \(KubernetesRequestsBenchmark.format(measurement.submit)); "
                + "follow to the end \(KubernetesRequestsBenchmark.format(measurement.follow))")
    }
    return figure
}

if selected.contains("containers") {
    do {
        let socket = try engineSocket ?? EngineSocket.locate()
        writeLine("… containers on \(socket)")
        for figure in try await ContainerStartBenchmark(socket: socket).run() {
            writeLine("\(figure.passes ? "PASS" : "FAIL")  \(figure.name): \(figure.measured); target \(figure.target); \(figure.judgedBy)")
            figures.append(figure)
        }
    } catch {
        figures.append(Figure(name: "containers", measured: "error: \(error)", target: "-", judgedBy: "-", passes: false))
    }
}

FigureTable(figures: figures).print()
exit(figures.allSatisfy(\.passes) ? 0 : 1)
