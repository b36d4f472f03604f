import Foundation
import Testing
import TygerKubernetesTesting
import TygerTestSupport

/// `tyger --backend kubernetes` with a kubeconfig that holds a distinctive token and client
/// key never prints either, on standard output or standard error, whether commands succeed
/// or fail.
@Suite("Secrets never leak: command line")
struct SecretLeakCommandLineTests {
    static let token = "tyger-SECRET-cli-token-5b2e8d41-do-not-print"

    /// What must never be printed: the token, its base64, each line of the key, the PEM
    /// header, and a stretch of the key as `client-key-data`.
    private static func needles(_ keys: TestKeyPair) -> [(what: String, text: String)] {
        var result = [("the token", token), ("the token as base64", Data(token.utf8).base64EncodedString())]
        for (index, line) in String(decoding: keys.keyPEM, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.hasPrefix("-----") && line.count >= 16 {
            result.append(("line \(index) of the client key", String(line)))
        }
        result.append(("a PEM private key header", "PRIVATE KEY"))
        result.append(("client-key-data", String(keys.keyPEM.base64EncodedString().dropFirst(64).prefix(48))))
        return result
    }

    private static func kubeconfig(server: URL, keys: TestKeyPair, keyData: String? = nil) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: leak-test
        clusters:
        - name: leak-test
          cluster:
            server: \(server.absoluteString)
        contexts:
        - name: leak-test
          context: {cluster: leak-test, user: leak-test, namespace: tyger}
        users:
        - name: leak-test
          user:
            token: \(token)
            client-certificate-data: \(keys.certificatePEM.base64EncodedString())
            client-key-data: \(keyData ?? keys.keyPEM.base64EncodedString())
        """
    }

    @Test func noCommandPrintsTheTokenOrTheClientKey() async throws {
        let keys = try await TestKeyPair.load()
        let needles = Self.needles(keys)
        try await withKubernetesTestServer { server in
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let kubeconfig = try dir.write("kubeconfig", Self.kubeconfig(server: server.baseURL, keys: keys))
            let brokenKubeconfig = try dir.write(
                "broken-kubeconfig",
                Self.kubeconfig(
                    server: server.baseURL, keys: keys, keyData: Data(Self.token.utf8).base64EncodedString()))
            let runFile = try dir.write("run.yaml", "job:\n  codespec: leaky\n")
            let inlineRunFile = try dir.write(
                "inline.yaml",
                """
                job:
                  codespec: {image: tyger-conformance:test, command: [tyger-conformance, print, "2"]}
                """)
            let home = ["TYGER_HOME": dir.url.appendingPathComponent("home").path]

            var outputs: [(command: String, result: ProcessResult)] = []
            func tyger(_ arguments: [String], kubeconfig path: String? = nil) async throws -> ProcessResult {
                let result = try await TygerProcess.run(arguments, kubeconfig: path ?? kubeconfig, environment: home)
                outputs.append((arguments.joined(separator: " "), result))
                return result
            }

            // Commands that succeed.
            let created = try await tyger([
                "codespec", "create", "leaky", "--image", "tyger-conformance:test", "--command", "--",
                "tyger-conformance", "print", "2",
            ])
            #expect(created.status == 0, "\(created.output)")
            let exec = try await tyger(["run", "exec", "-f", runFile])
            #expect(exec.status == 0, "\(exec.output)")
            for arguments in [
                ["run", "show", "1", "-o", "yaml"], ["run", "show", "1", "-o", "json"], ["run", "list"],
                ["run", "list", "-o", "json"], ["run", "logs", "1"], ["codespec", "show", "leaky", "-o", "yaml"],
                ["codespec", "show", "leaky", "-o", "json"], ["codespec", "list"],
                ["run", "render", "-f", inlineRunFile, "--run-id", "7"],
            ] {
                let result = try await tyger(arguments)
                #expect(result.status == 0, "\(arguments): \(result.output)")
            }
            #expect(outputs.contains { $0.command == "run show 1 -o yaml" && $0.result.stdout.contains("Succeeded") })

            // Commands that fail, from the API server, the connection, the kubeconfig and the arguments.
            server.faults.inject(.status(401, message: "Unauthorized"))
            let unauthorized = try await tyger(["run", "show", "1", "-o", "yaml"])
            server.faults.removeAll()
            server.faults.inject(.status(403, message: "configmaps is forbidden"))
            let forbidden = try await tyger(["codespec", "show", "leaky", "-o", "json"])
            server.faults.removeAll()
            server.faults.inject(.status(500, message: "etcd is down"), matching: .init(method: .POST))
            let internalError = try await tyger(["codespec", "create", "other", "--image", "x"])
            server.faults.removeAll()
            server.faults.inject(.closeConnection, matching: .init(method: .POST))
            let dropped = try await tyger(["run", "create", "-f", runFile])
            server.faults.removeAll()
            let notFound = try await tyger(["run", "show", "999", "-o", "json"])
            let noContext = try await tyger(["run", "list", "--context", "missing"])
            let badNamespace = try await tyger(["run", "list", "--namespace", "../.."])
            let badKey = try await tyger(["run", "list"], kubeconfig: brokenKubeconfig)
            for (what, result) in [
                ("401", unauthorized), ("403", forbidden), ("500", internalError), ("dropped connection", dropped),
                ("not found", notFound), ("missing context", noContext), ("bad namespace", badNamespace),
                ("bad client key", badKey),
            ] {
                #expect(result.status != 0, "\(what): \(result.output)")
                #expect(!result.stderr.isEmpty, "\(what) explains itself")
            }
            // Each failed for the reason it was set up to fail for.
            for (result, expected) in [
                (unauthorized, "answered 401"), (forbidden, "answered 403"), (internalError, "answered 500"),
                (dropped, "Could not complete POST"), (notFound, "The run '999' was not found"),
                (noContext, "The context 'missing' was not found"),
                (badNamespace, "the namespace '../..' is not a Kubernetes namespace name"),
                (badKey, "'client-key-data' is not an unencrypted PEM private key"),
            ] {
                #expect(result.stderr.contains(expected), "\(expected): \(result.stderr)")
            }

            // No flag can turn TLS verification off.
            for arguments in [["run", "list", "--help"], ["run", "exec", "--help"], ["codespec", "show", "--help"]] {
                let help = try await tyger(arguments)
                #expect(!help.output.lowercased().contains("insecure"), "\(arguments): \(help.output)")
                #expect(!help.output.lowercased().contains("tls"), "\(arguments): \(help.output)")
            }

            #expect(outputs.count >= 20)
            for (command, result) in outputs {
                let leaks = needles.filter { result.output.contains($0.text) }.map(\.what)
                #expect(leaks.isEmpty, "tyger \(command) printed \(leaks): \(result.output)")
            }
        }
    }
}
