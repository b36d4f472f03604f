import Foundation
import Logging
import NIOHTTP1
import NIOSSL
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

/// The secrets of these tests, and every form in which they could leak: the token, each line
/// of the client key's PEM, the PEM header, and the key as kubeconfig `client-key-data`.
struct Secrets: Sendable {
    let token = distinctiveToken
    let certificates: TestCertificates

    init() throws {
        certificates = try TestCertificates.load()
    }

    var keyPEM: Data { certificates.client.keyPEM }
    var keyBase64: String { keyPEM.base64EncodedString() }
    var certificateBase64: String { certificates.client.certificatePEM.base64EncodedString() }

    /// What to look for; each is long enough that finding it by chance is impossible.
    var needles: [(what: String, text: String)] {
        var result = [("the token", token), ("the token as base64", Data(token.utf8).base64EncodedString())]
        let keyLines = String(decoding: keyPEM, as: UTF8.self).split(separator: "\n")
        for (index, line) in keyLines.enumerated() where !line.hasPrefix("-----") && line.count >= 16 {
            result.append(("line \(index) of the client key", String(line)))
        }
        result.append(("a PEM private key header", "PRIVATE KEY"))
        // The key's base64 (as client-key-data): its start encodes the PEM header, so look
        // at a stretch from the key material in the middle as well.
        result.append(("client-key-data", String(keyBase64.dropFirst(64).prefix(48))))
        return result
    }

    /// The names of the secrets `text` contains; empty when it is clean.
    func leaks(in text: String) -> [String] {
        needles.filter { text.contains($0.text) }.map(\.what)
    }
}

/// Every way a value can be turned into text: what logs, messages and debuggers print.
func everyRendering(of value: Any) -> String {
    var dumped = ""
    dump(value, to: &dumped)
    var texts = [String(describing: value), String(reflecting: value), "\(value)", dumped]
    if let error = value as? any Error {
        texts.append(error.localizedDescription)
        if let tyger = error as? TygerError, let underlying = tyger.underlying {
            texts.append(contentsOf: [String(describing: underlying), String(reflecting: underlying)])
        }
    }
    return texts.joined(separator: "\n")
}

@Suite("Secrets never leak")
struct SecretLeakTests {
    /// A kubeconfig for `server` with a distinctive token and client certificate and key.
    private func kubeconfig(server: String, _ secrets: Secrets, clusterExtra: String = "") -> String {
        """
        current-context: c
        clusters:
        - name: k
          cluster:
            server: \(server)
            \(clusterExtra)
        contexts: [{name: c, context: {cluster: k, user: u, namespace: tyger}}]
        users:
        - name: u
          user:
            token: \(secrets.token)
            client-certificate-data: \(secrets.certificateBase64)
            client-key-data: \(secrets.keyBase64)
        """
    }

    // MARK: (a) logs at trace level, with failing requests

    @Test func traceLogsOfSucceedingAndFailingRequestsHoldNoSecret() async throws {
        let secrets = try Secrets()
        let logs = CapturedLogs()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = ScriptedHTTPServer()
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let configuration = try KubernetesConfiguration.fromKubeconfig(
            path: try dir.write("config", kubeconfig(server: "http://127.0.0.1:\(port)", secrets)), environment: [:])
        let client = try KubernetesClient(
            configuration: configuration, options: .init(retryPolicy: fastRetries), logger: logs.logger(level: .trace))

        var errors: [any Error] = []
        func attempt(_ body: () async throws -> Void) async {
            do { try await body() } catch { errors.append(error) }
        }
        let settings = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"}}"#
        server.enqueue(.json(.ok, settings))
        await attempt { _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self) }
        server.enqueue(.status(401, reason: "Unauthorized", message: "Unauthorized"))
        await attempt { _ = try await client.get(.configMaps, name: "a", as: TestConfigMap.self) }
        server.enqueue(.status(403, reason: "Forbidden", message: "configmaps is forbidden"))
        await attempt { _ = try await client.create(.configMaps, object: TestConfigMap(metadata: .init(name: "b"))) }
        // 500 five times: four retries, all logged, then the error.
        for _ in 0..<5 { server.enqueue(.status(500, reason: "InternalError", message: "etcd is down")) }
        await attempt { _ = try await client.list(.configMaps, as: TestConfigMap.self) }
        for _ in 0..<5 { server.enqueue(.dropConnection) }
        await attempt { _ = try await client.delete(.configMaps, name: "c") }
        server.enqueue(.status(403, reason: "Forbidden", message: "watch is forbidden"))
        await attempt {
            for try await _ in client.watch(.configMaps, as: TestConfigMap.self) {}
        }
        try await client.shutdown()

        #expect(errors.count == 5, "\(errors)")
        #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(secrets.token)" })
        let text = logs.all.joined(separator: "\n")
        #expect(logs.all.contains { $0.hasPrefix("trace Kubernetes API request") }, "trace logging happened")
        #expect(logs.all.contains { $0.contains("Retrying") }, "retries were logged")
        #expect(secrets.leaks(in: text) == [], "\(text)")
        for error in errors {
            let rendered = everyRendering(of: error)
            #expect(secrets.leaks(in: rendered) == [], "\(rendered)")
        }
    }

    @Test func traceLogsAndErrorOfAFailedTLSHandshakeHoldNoSecret() async throws {
        let secrets = try Secrets()
        let certificates = secrets.certificates
        let (server, port) = try await ScriptedHTTPServer.startHTTPS(certificates)
        defer { Task { await server.stop() } }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // No CA: the test CA is trusted by nothing, so the handshake fails.
        let configuration = try KubernetesConfiguration.fromKubeconfig(
            path: try dir.write("config", kubeconfig(server: "https://127.0.0.1:\(port)", secrets)), environment: [:])
        let logs = CapturedLogs()
        let error = await #expect(throws: TygerError.self) {
            try await withKubernetesClient(
                configuration: configuration, options: .init(retryPolicy: fastRetries), logger: logs.logger()
            ) { client in
                _ = try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
            }
        }
        #expect(error?.message.contains("TLS handshake failed") == true)
        #expect(server.requests.isEmpty)
        #expect(!logs.all.isEmpty)
        let text = logs.all.joined(separator: "\n")
        #expect(secrets.leaks(in: text) == [], "\(text)")
        let rendered = error.map(everyRendering(of:)) ?? ""
        #expect(secrets.leaks(in: rendered) == [], "\(rendered)")
    }

    /// A token file that cannot be used fails the request before it is sent, naming the file.
    @Test func unusableTokenFilesFailBeforeSendingAndNameOnlyTheFile() async throws {
        let secrets = try Secrets()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let empty = try dir.write("empty-token", "\n")
        let folder = dir.url.appendingPathComponent("folder-token").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (path, expected) in [(empty, "is empty"), (folder, "cannot be read")] {
            let logs = CapturedLogs()
            let server = ScriptedHTTPServer()
            let port = try await server.start()
            let configuration = KubernetesConfiguration(
                server: try testURL("http://127.0.0.1:\(port)"), namespace: "tyger",
                credentials: KubernetesCredentials(
                    bearerToken: .file(path),
                    clientCertificate: .init(
                        certificatePEM: secrets.certificates.client.certificatePEM, privateKeyPEM: secrets.keyPEM)))
            let error = await #expect(throws: TygerError.self) {
                try await withKubernetesClient(configuration: configuration, logger: logs.logger()) { client in
                    _ = try await client.get(.configMaps, name: "x", as: TestConfigMap.self)
                }
            }
            await server.stop()
            #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
            #expect(server.requests.isEmpty)
            let rendered = (error.map(everyRendering(of:)) ?? "") + logs.all.joined(separator: "\n")
            #expect(secrets.leaks(in: rendered) == [], "\(rendered)")
        }
    }

    // MARK: (b) errors for bad kubeconfigs

    /// One broken kubeconfig: its cluster and user fields, and a part of the message expected.
    struct BrokenKubeconfig: Sendable, CustomTestStringConvertible {
        var name: String
        var cluster: @Sendable (Secrets, String) -> [String] = { _, _ in [] }
        var user: @Sendable (Secrets, String) -> [String]
        var expected: String

        var testDescription: String { name }

        /// The file, with the token in the user unless the case replaces it.
        func text(_ secrets: Secrets, directory: String) -> String {
            let fields = cluster(secrets, directory)
            let server = fields.contains { $0.hasPrefix("server:") } ? [] : ["server: https://k.test"]
            let clusterLines = (server + fields).map { "    \($0)" }
            let userLines = user(secrets, directory).map { "    \($0)" }
            return """
                current-context: c
                clusters:
                - name: k
                  cluster:
                \(clusterLines.joined(separator: "\n"))
                contexts: [{name: c, context: {cluster: k, user: u}}]
                users:
                - name: u
                  user:
                \(userLines.joined(separator: "\n"))
                """
        }
    }

    static let brokenKubeconfigs: [BrokenKubeconfig] = [
        BrokenKubeconfig(
            name: "client-key-data that is not base64",
            user: { s, _ in
                [
                    "token: \(s.token)", "client-certificate-data: \(s.certificateBase64)",
                    "client-key-data: \"\(s.keyBase64.prefix(80))*!*\(s.keyBase64.dropFirst(80))\"",
                ]
            },
            expected: "'client-key-data' is not valid base64"),
        BrokenKubeconfig(
            name: "client-key-data that holds the token",
            user: { s, _ in
                [
                    "token: \(s.token)", "client-certificate-data: \(s.certificateBase64)",
                    "client-key-data: \(Data(s.token.utf8).base64EncodedString())",
                ]
            },
            expected: "is not an unencrypted PEM private key"),
        BrokenKubeconfig(
            name: "client-certificate-data that holds the key",
            user: { s, _ in
                ["token: \(s.token)", "client-certificate-data: \(s.keyBase64)", "client-key-data: \(s.keyBase64)"]
            },
            expected: "'client-certificate-data' is not a PEM certificate"),
        BrokenKubeconfig(
            name: "client-certificate-data that is not base64",
            user: { s, _ in
                ["client-certificate-data: \(s.token)", "client-key-data: \(s.keyBase64)"]
            },
            expected: "'client-certificate-data' is not valid base64"),
        BrokenKubeconfig(
            name: "a client key without a certificate",
            user: { s, _ in ["token: \(s.token)", "client-key-data: \(s.keyBase64)"] },
            expected: "has a client key but no 'client-certificate'"),
        BrokenKubeconfig(
            name: "a token that is a list",
            user: { s, _ in ["token: [\(s.token)]", "client-key-data: \(s.keyBase64)"] },
            expected: "field 'token' must be a string"),
        BrokenKubeconfig(
            name: "a token that is a mapping",
            user: { s, _ in ["token: {value: \(s.token)}"] },
            expected: "field 'token' must be a string"),
        BrokenKubeconfig(
            name: "a token line that breaks the YAML",
            user: { s, _ in ["token: \(s.token): [unclosed"] },
            expected: "is not valid YAML (line"),
        BrokenKubeconfig(
            name: "a token given twice",
            user: { s, _ in ["token: \(s.token)", "token: \(s.token)"] },
            expected: "repeats a key (line"),
        BrokenKubeconfig(
            name: "a tokenFile that does not exist",
            user: { s, dir in ["tokenFile: \(dir)/missing-token", "client-key-data: \(s.keyBase64)"] },
            expected: "the 'tokenFile'"),
        BrokenKubeconfig(
            name: "an exec plugin with the token in its arguments and environment",
            user: { s, _ in
                [
                    "exec:", "  command: get-token", "  args: [--token, \(s.token)]",
                    "  env: [{name: TOKEN, value: \(s.token)}]", "client-key-data: \(s.keyBase64)",
                ]
            },
            expected: "uses an exec credential plugin ('exec'), which is not supported"),
        BrokenKubeconfig(
            name: "an auth-provider with tokens in its config",
            user: { s, _ in
                [
                    "auth-provider:", "  name: oidc",
                    "  config: {id-token: \(s.token), refresh-token: \(s.token), client-secret: \(s.token)}",
                ]
            },
            expected: "uses an auth-provider plugin ('auth-provider'), which is not supported"),
        BrokenKubeconfig(
            name: "basic authentication",
            user: { s, _ in ["password: \(s.token)"] },
            expected: "basic authentication ('password') is not supported"),
        BrokenKubeconfig(
            name: "impersonation next to a token",
            user: { s, _ in ["token: \(s.token)", "as: someone-else"] },
            expected: "impersonation ('as') is not supported"),
        BrokenKubeconfig(
            name: "certificate-authority-data that is not base64",
            cluster: { s, _ in ["certificate-authority-data: \(s.token)"] },
            user: { s, _ in ["token: \(s.token)"] },
            expected: "'certificate-authority-data' is not valid base64"),
        BrokenKubeconfig(
            name: "certificate-authority-data that holds the key",
            cluster: { s, _ in ["certificate-authority-data: \(s.keyBase64)"] },
            user: { s, _ in ["token: \(s.token)", "client-key-data: \(s.keyBase64)"] },
            expected: "'certificate-authority-data' is not a PEM certificate"),
        BrokenKubeconfig(
            name: "a certificate-authority file that holds the key",
            cluster: { s, _ in ["certificate-authority: \(s.certificates.client.keyPath)"] },
            user: { s, _ in ["token: \(s.token)"] },
            expected: "'certificate-authority' file"),
        BrokenKubeconfig(
            name: "a certificate-authority file that does not exist",
            cluster: { _, dir in ["certificate-authority: \(dir)/missing-ca.crt"] },
            user: { s, _ in ["token: \(s.token)", "client-key-data: \(s.keyBase64)"] },
            expected: "'certificate-authority' file"),
        BrokenKubeconfig(
            name: "a CA together with insecure-skip-tls-verify",
            cluster: { s, _ in
                [
                    "certificate-authority-data: \(s.certificates.ca.certificatePEM.base64EncodedString())",
                    "insecure-skip-tls-verify: true",
                ]
            },
            user: { s, _ in ["token: \(s.token)", "client-key-data: \(s.keyBase64)"] },
            expected: "sets both insecure-skip-tls-verify and a certificate authority"),
        BrokenKubeconfig(
            name: "insecure-skip-tls-verify holding the token",
            cluster: { s, _ in ["insecure-skip-tls-verify: \(s.token)"] },
            user: { s, _ in ["token: \(s.token)"] },
            expected: "field 'insecure-skip-tls-verify' must be a YAML boolean"),
        BrokenKubeconfig(
            name: "a server URL with the token as password",
            cluster: { s, _ in ["server: https://admin:\(s.token)@k.test"] },
            user: { s, _ in ["token: \(s.token)"] },
            expected: "'server' contains a user name or password"),
        BrokenKubeconfig(
            name: "a client-key file that does not exist",
            user: { s, dir in
                [
                    "token: \(s.token)", "client-certificate-data: \(s.certificateBase64)",
                    "client-key: \(dir)/missing.key",
                ]
            },
            expected: "'client-key' file"),
    ]

    @Test(arguments: brokenKubeconfigs)
    func errorsForBrokenKubeconfigsHoldNoSecret(_ broken: BrokenKubeconfig) throws {
        let secrets = try Secrets()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", broken.text(secrets, directory: dir.path))
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        }
        #expect(error?.code == .backend)
        #expect(error?.message.contains(broken.expected) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(path) == true, "the message names the file: \(error?.message ?? "")")
        let rendered = error.map(everyRendering(of:)) ?? ""
        #expect(secrets.leaks(in: rendered) == [], "\(rendered)")
    }

    // MARK: (c) descriptions and dumps

    @Test func configurationsCredentialsClientsAndBackendsPrintNoSecret() throws {
        let secrets = try Secrets()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fromFile = try KubernetesConfiguration.fromKubeconfig(
            path: try dir.write("config", kubeconfig(server: "https://k.test:6443", secrets)), environment: [:])
        #expect(fromFile.credentials.bearerToken == .inline(secrets.token), "the kubeconfig was read")
        #expect(fromFile.credentials.clientCertificate?.privateKeyPEM == secrets.keyPEM)
        let credentials = fromFile.credentials
        let client = try KubernetesClient(configuration: fromFile)
        defer { Task { try? await client.shutdown() } }
        let backend = try KubernetesBackend(client: client)
        let store = try ConfigMapCodespecStore(client: client)
        // A URL with a password is refused by the loader and the client; printing one must not leak it either.
        let withPassword = KubernetesConfiguration(
            server: try testURL("https://admin:\(secrets.token)@k.test"), credentials: credentials)

        let values: [(String, Any)] = [
            ("configuration", fromFile), ("credentials", credentials),
            ("bearer token", credentials.bearerToken as Any),
            ("client certificate", credentials.clientCertificate as Any),
            ("client", client), ("backend", backend), ("store", store),
            ("Tyger client", TygerClient(store: store, backend: backend)), ("URL with a password", withPassword),
        ]
        for (what, value) in values {
            let rendered = everyRendering(of: value)
            #expect(secrets.leaks(in: rendered) == [], "\(what): \(rendered)")
        }
        #expect(fromFile.description.contains("token: <redacted>"))
        #expect(String(describing: client).contains("https://k.test:6443"))
        #expect(withPassword.description.contains("https://k.test"))

        let refused = #expect(throws: TygerError.self) { try KubernetesClient(configuration: withPassword) }
        #expect(refused?.message.contains("contains a user name or password") == true)
        #expect(secrets.leaks(in: refused.map(everyRendering(of:)) ?? "") == [])
    }
}
