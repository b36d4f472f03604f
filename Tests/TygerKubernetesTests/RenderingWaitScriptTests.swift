import Foundation
import Testing
import TygerKit
import TygerKubernetes

/// Runs the job's `wait-for-workers` init container the way the kubelet would (`command` +
/// `args`), under `/bin/sh`, with `nc`, `nslookup` and `sleep` replaced by recording stubs:
/// each address refuses its first connection, so the retry path runs too.
@Suite struct RenderingWaitScriptTests {
    struct Outcome {
        var status: Int32
        var output: String
        /// Every probe, in order: `host:port` for `nc`, `host` for `nslookup`.
        var probes: [String]
    }

    func runWaitContainer(of rendered: RenderedRun) async throws -> Outcome {
        let wait = try #require(
            rendered.job.spec?.template.spec?.initContainers?.first { $0.name == "wait-for-workers" })
        let words = (wait.command ?? []) + (wait.args ?? [])
        #expect(words.first == "sh")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wait-\(UUID().uuidString)")
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("probes.log").path
        let seen = folder.appendingPathComponent("seen").path
        try FileManager.default.createDirectory(atPath: seen, withIntermediateDirectories: true)
        // The first probe of each address fails; later ones succeed.
        let stubs = [
            "nc": """
            [ "$1 $2 $3" = "-z -w 1" ] || { echo "unexpected nc arguments: $*" >&2; exit 2; }
            echo "$4:$5" >> '\(log)'
            marker='\(seen)'/"$4:$5"
            [ -e "$marker" ] && exit 0
            touch "$marker"; exit 1
            """,
            "nslookup": """
            echo "$1" >> '\(log)'
            marker='\(seen)'/"$1"
            [ -e "$marker" ] && exit 0
            touch "$marker"; exit 1
            """,
            "sleep": "exit 0",
        ]
        for (name, body) in stubs {
            let path = bin.appendingPathComponent(name).path
            try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        let result = try await Command.run(
            "/bin/sh", Array(words.dropFirst()), environment: ["PATH": "\(bin.path):/usr/bin:/bin"])
        let probes = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        return Outcome(status: result.status, output: result.stdout + result.stderr, probes: probes)
    }

    /// The script waits for exactly the addresses the job is given, each until it answers.
    @Test func theWaitCoversEveryAddressTheJobReceives() async throws {
        let rendered = try RenderFixtures.distributed.render()
        let outcome = try await runWaitContainer(of: rendered)
        #expect(outcome.status == 0, "\(outcome.output)")
        let job = try #require(rendered.jobContainer)
        var addresses: [String] = []
        for name in ["TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES", "TYGER_RPC_CONTROL_WORKER_ENDPOINT_ADDRESSES"] {
            let value = try #require(job.env(name))
            addresses += try #require(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String])
        }
        #expect(addresses.count == 6)
        // Each address is tried twice (refused, then accepted), replica by replica.
        #expect(Set(outcome.probes) == Set(addresses))
        for address in addresses { #expect(outcome.probes.filter { $0 == address }.count == 2, "\(address)") }
        #expect(outcome.probes.first == "run-1234-worker-0.run-1234-worker.tyger.svc.cluster.local:9002")
        #expect(outcome.probes.last == "run-1234-worker-2.run-1234-worker.tyger.svc.cluster.local:7000")
        #expect(
            outcome.output.contains(
                "waiting for run-1234-worker-1.run-1234-worker.tyger.svc.cluster.local:7000 (try 1)"))
        #expect(outcome.output.contains("all 3 worker replicas are ready"))
    }

    @Test(arguments: [1, 25])
    func theWaitScalesWithReplicasNotWithItsArguments(_ replicas: Int) async throws {
        var fixture = RenderFixtures.specExample
        fixture.run = try fixture.run.changing(spec: { $0.worker?.replicas = replicas })
        let rendered = try fixture.render()
        let outcome = try await runWaitContainer(of: rendered)
        #expect(outcome.status == 0, "\(outcome.output)")
        let value = try #require(rendered.jobContainer?.env("TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES"))
        let addresses = try #require(try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String])
        #expect(Set(outcome.probes) == Set(addresses))
        #expect(outcome.probes.count == 2 * replicas)
    }

    /// Workers without endpoints have nothing to connect to: the job waits until each
    /// replica's name resolves, which it does once the pod has an address.
    @Test func workersWithoutEndpointsAreAwaitedByName() async throws {
        let rendered = try RenderFixtures.unusualWorkers.render()
        let outcome = try await runWaitContainer(of: rendered)
        #expect(outcome.status == 0, "\(outcome.output)")
        let hosts = (0..<4).map { "run-5-worker-\($0).run-5-worker.research.svc.cluster.local" }
        #expect(outcome.probes == hosts.flatMap { [$0, $0] })
    }
}
