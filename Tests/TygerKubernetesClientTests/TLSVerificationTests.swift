import Foundation
import NIOHTTP1
import NIOSSL
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

/// Every way a configuration is made verifies the server's certificate, except a kubeconfig
/// cluster that says `insecure-skip-tls-verify: true` in so many words.
///
/// The audit behind these tests: `KubernetesConfiguration.init` defaults to verifying;
/// `inCluster` always pins the service-account CA; `automatic` only delegates; the kubeconfig
/// loader is the one place the flag is read; the `tyger` command line has no TLS flag (see
/// `SecretLeakCommandLineTests`); and no environment variable is consulted for TLS.
@Suite("TLS verification is never off by accident")
struct TLSVerificationTests {
    /// A kubeconfig whose cluster `k` has `extra` as its last field.
    private static func kubeconfig(server: String = "https://k.test", _ extra: String) -> String {
        """
        current-context: c
        clusters:
        - name: k
          cluster:
            server: \(server)
            \(extra)
        contexts: [{name: c, context: {cluster: k}}]
        """
    }

    private func load(_ text: String, in dir: TemporaryDirectory) throws -> KubernetesConfiguration {
        let path = try dir.write("config-\(UUID().uuidString)", text)
        return try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
    }

    // MARK: Plain HTTP

    /// `http://` is TLS turned off; it is allowed only where no network is crossed.
    @Test(arguments: [
        "http://127.0.0.1:8001", "http://127.9.8.7", "http://localhost:8001", "http://LOCALHOST", "http://[::1]:8001",
    ])
    func plainHTTPIsAllowedOnThisMachine(_ server: String) async throws {
        let url = try #require(URL(string: server))
        let client = try KubernetesClient(configuration: KubernetesConfiguration(server: url, credentials: .token("t")))
        try await client.shutdown()
    }

    @Test(arguments: [
        "http://10.0.0.1:8080", "http://kubernetes.example.com", "http://128.0.0.1", "http://[::2]", "http://[fe80::1]",
        "http://localhost.example.com", "HTTP://192.168.1.5",
    ])
    func plainHTTPElsewhereIsRefused(_ server: String) throws {
        let url = try #require(URL(string: server))
        let error = #expect(throws: TygerError.self) {
            _ = try KubernetesClient(configuration: KubernetesConfiguration(server: url, credentials: .token("t")))
        }
        #expect(error?.code == .backend)
        let message = error?.message ?? ""
        #expect(message.contains("which would send the token and every run unencrypted"), "\(message)")
        #expect(message.contains("use https://"))
    }

    // MARK: Reading the flag

    /// The YAML 1.2 core booleans, unquoted, and an absent or null field.
    @Test(arguments: [
        ("insecure-skip-tls-verify: true", true),
        ("insecure-skip-tls-verify: True", true),
        ("insecure-skip-tls-verify: TRUE", true),
        ("insecure-skip-tls-verify: false", false),
        ("insecure-skip-tls-verify: False", false),
        ("insecure-skip-tls-verify: FALSE", false),
        ("insecure-skip-tls-verify: null", false),
        ("insecure-skip-tls-verify:", false),
        ("tls-server-name: k.test", false),
    ])
    func acceptedSpellings(_ field: String, _ insecure: Bool) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try load(Self.kubeconfig(field), in: dir).insecureSkipTLSVerify == insecure, "\(field)")
    }

    /// Quoted strings, YAML 1.1 words, numbers and collections are errors that name the file,
    /// the cluster, the field and what is allowed: never a guess in either direction.
    @Test(arguments: [
        #""true""#, "'true'", #""True""#, #""false""#, "yes", "Yes", "on", "y", "1", "0", "no", "off", "tRUE",
        "[true]", "{value: true}", "!!str true",
    ])
    func otherSpellingsAreErrors(_ value: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.kubeconfig("insecure-skip-tls-verify: \(value)"))
        let error = #expect(throws: TygerError.self, "\(value)") {
            try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        }
        #expect(error?.code == .backend)
        #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("cluster 'k'") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("field 'insecure-skip-tls-verify'") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("allowed: true or false, unquoted") == true, "\(error?.message ?? "")")
    }

    @Test func jsonKubeconfigIsReadTheSameWay() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func json(_ value: String) -> String {
            #"{"current-context":"c","clusters":[{"name":"k","cluster":{"server":"https://k.test","insecure-skip-tls-verify":\#(value)}}],"contexts":[{"name":"c","context":{"cluster":"k"}}]}"#
        }
        #expect(try load(json("true"), in: dir).insecureSkipTLSVerify == true)
        #expect(try load(json("false"), in: dir).insecureSkipTLSVerify == false)
        #expect(throws: TygerError.self) { try load(json(#""true""#), in: dir) }
        #expect(throws: TygerError.self) { try load(json("1"), in: dir) }
    }

    /// kubectl keeps the last of two equal keys and a first-wins reader the first: refusing
    /// the file is the only reading on which both cannot disagree about verification.
    @Test func aRepeatedFlagIsAnErrorNotAChoice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for pair in [("false", "true"), ("true", "false")] {
            let path = try dir.write(
                "config",
                Self.kubeconfig("insecure-skip-tls-verify: \(pair.0)\n    insecure-skip-tls-verify: \(pair.1)"))
            let error = #expect(throws: TygerError.self) {
                try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
            }
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("repeats a key (line") == true, "\(error?.message ?? "")")
        }
    }

    // MARK: Every other source verifies

    @Test func everyOtherWayOfMakingAConfigurationVerifies() throws {
        let certificates = try TestCertificates.load()
        #expect(try KubernetesConfiguration(server: testURL("https://k.test")).insecureSkipTLSVerify == false)

        let serviceAccount = try TemporaryDirectory()
        defer { serviceAccount.remove() }
        try serviceAccount.write("token", "sa-token")
        try serviceAccount.write("ca.crt", certificates.ca.certificatePEM)
        let inCluster = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        // Variables a user might hope would switch verification off; none is read.
        let hopeful = [
            "KUBE_INSECURE_SKIP_TLS_VERIFY": "true", "INSECURE_SKIP_TLS_VERIFY": "true", "KUBECTL_INSECURE": "1",
            "TYGER_INSECURE_SKIP_TLS_VERIFY": "true", "GODEBUG": "x509ignoreCN=0",
        ]
        let fromPod = try KubernetesConfiguration.inCluster(
            environment: inCluster.merging(hopeful) { $1 }, serviceAccountDirectory: serviceAccount.path)
        #expect(fromPod.insecureSkipTLSVerify == false)
        #expect(fromPod.certificateAuthority == certificates.ca.certificatePEM)
        let automaticInPod = try KubernetesConfiguration.automatic(
            environment: inCluster.merging(hopeful) { $1 }, serviceAccountDirectory: serviceAccount.path)
        #expect(automaticInPod.insecureSkipTLSVerify == false)

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.kubeconfig(""))
        let environment = hopeful.merging(["KUBECONFIG": path]) { $1 }
        #expect(try KubernetesConfiguration.fromKubeconfig(environment: environment).insecureSkipTLSVerify == false)
        #expect(
            try KubernetesConfiguration.automatic(
                environment: environment, serviceAccountDirectory: dir.url.appendingPathComponent("none").path
            ).insecureSkipTLSVerify == false)
    }

    // MARK: Real handshakes

    /// An HTTPS server with a certificate signed by the test CA, which no system trusts; it
    /// asks for no client certificate, so only the client's verification decides.
    private func startServer(_ certificates: TestCertificates) async throws -> (ScriptedHTTPServer, Int) {
        try await ScriptedHTTPServer.startHTTPS(certificates)
    }

    private func get(_ configuration: KubernetesConfiguration) async throws -> TestConfigMap {
        try await withKubernetesClient(configuration: configuration, options: .init(retryPolicy: .none)) { client in
            try await client.get(.configMaps, name: "settings", namespace: "tyger", as: TestConfigMap.self)
        }
    }

    /// Absent, `false` and `null` all mean: verify. An untrusted certificate then fails the
    /// handshake with a message that says so, and the request never reaches the server.
    @Test(arguments: ["", "insecure-skip-tls-verify: false", "insecure-skip-tls-verify: null"])
    func kubeconfigWithoutTheFlagRefusesAnUntrustedServer(_ field: String) async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let configuration = try load(Self.kubeconfig(server: "https://127.0.0.1:\(port)", field), in: dir)
        let error = await #expect(throws: TygerError.self) { _ = try await get(configuration) }
        #expect(error?.code == .backend)
        #expect(error?.message.contains("the TLS handshake failed") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("certificate authority") == true)
        #expect(server.requests.isEmpty)

        // The same server with its CA named works, so the failure above is verification's.
        server.enqueue(.json(.ok, TLSTests.body))
        let trusted = try load(
            Self.kubeconfig(
                server: "https://127.0.0.1:\(port)",
                "certificate-authority-data: \(certificates.ca.certificatePEM.base64EncodedString())\n    \(field)"),
            in: dir)
        #expect(try await get(trusted).metadata.name == "settings")
    }

    /// A CA that did not sign the server's certificate (here the client certificate, a leaf)
    /// fails too: naming a CA never widens trust to anything else.
    @Test func aWrongCertificateAuthorityRefusesTheServer() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let configuration = KubernetesConfiguration(
            server: try testURL("https://127.0.0.1:\(port)"), certificateAuthority: certificates.client.certificatePEM)
        let error = await #expect(throws: TygerError.self) { _ = try await get(configuration) }
        #expect(error?.message.contains("the TLS handshake failed") == true, "\(error?.message ?? "")")
        #expect(server.requests.isEmpty)
    }

    /// The in-cluster configuration trusts the mounted CA only.
    @Test func inClusterTrustsOnlyTheServiceAccountCA() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let serviceAccount = try TemporaryDirectory()
        defer { serviceAccount.remove() }
        try serviceAccount.write("token", "sa-token")
        let environment = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(port)"]

        try serviceAccount.write("ca.crt", certificates.namedServer.certificatePEM)
        let wrong = try KubernetesConfiguration.automatic(
            environment: environment, serviceAccountDirectory: serviceAccount.path)
        let error = await #expect(throws: TygerError.self) { _ = try await get(wrong) }
        #expect(error?.message.contains("the TLS handshake failed") == true, "\(error?.message ?? "")")
        #expect(server.requests.isEmpty)

        try serviceAccount.write("ca.crt", certificates.ca.certificatePEM)
        server.enqueue(.json(.ok, TLSTests.body))
        let right = try KubernetesConfiguration.automatic(
            environment: environment, serviceAccountDirectory: serviceAccount.path)
        #expect(try await get(right).metadata.name == "settings")
        #expect(server.requests.first?.header("Authorization") == "Bearer sa-token")
    }
}
