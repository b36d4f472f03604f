import Foundation
import NIOHTTP1
import NIOSSL
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

/// Real TLS handshakes against the scripted server, with certificates made by openssl.
@Suite("TLS")
struct TLSTests {
    static let body = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"}}"#

    /// An HTTPS scripted server that requires a client certificate signed by the test CA.
    private func startServer(_ certificates: TestCertificates, named: Bool = false) async throws -> (
        ScriptedHTTPServer, Int
    ) {
        let (server, port) = try await ScriptedHTTPServer.startHTTPS(
            certificates, pair: named ? certificates.namedServer : certificates.server, requireClientCertificate: true)
        server.enqueue(.json(.ok, Self.body))
        return (server, port)
    }

    private func get(_ configuration: KubernetesConfiguration) async throws -> TestConfigMap {
        // No retries: a TLS failure must show as the first attempt's error.
        try await withKubernetesClient(configuration: configuration, options: .init(retryPolicy: .none)) { client in
            try await client.get(.configMaps, name: "settings", as: TestConfigMap.self)
        }
    }

    private func configuration(
        port: Int, host: String = "127.0.0.1", ca: Data?, clientCertificate: Bool, certificates: TestCertificates,
        insecure: Bool = false, tlsServerName: String? = nil
    ) throws -> KubernetesConfiguration {
        KubernetesConfiguration(
            server: try testURL("https://\(host):\(port)"),
            namespace: "tyger",
            credentials: clientCertificate
                ? .clientCertificate(
                    certificatePEM: certificates.client.certificatePEM, privateKeyPEM: certificates.client.keyPEM)
                : .none,
            certificateAuthority: ca,
            tlsServerName: tlsServerName,
            insecureSkipTLSVerify: insecure)
    }

    @Test func clusterCAAndClientCertificateSucceed() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let object = try await get(
            configuration(
                port: port, ca: certificates.ca.certificatePEM, clientCertificate: true, certificates: certificates))
        #expect(object.metadata.name == "settings")
        #expect(server.requests.count == 1)

        // By name too: the certificate also covers localhost.
        server.enqueue(.json(.ok, Self.body))
        _ = try await get(
            configuration(
                port: port, host: "localhost", ca: certificates.ca.certificatePEM, clientCertificate: true,
                certificates: certificates))
    }

    @Test func withoutTheClusterCATheSelfSignedServerIsRefused() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let error = await #expect(throws: TygerError.self) {
            _ = try await get(configuration(port: port, ca: nil, clientCertificate: true, certificates: certificates))
        }
        #expect(error?.code == .backend)
        #expect(error?.message.contains("TLS") == true)
        #expect(server.requests.isEmpty)
    }

    @Test func withoutAClientCertificateTheServerRefuses() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let error = await #expect(throws: TygerError.self) {
            _ = try await get(
                configuration(
                    port: port, ca: certificates.ca.certificatePEM, clientCertificate: false, certificates: certificates
                ))
        }
        #expect(error?.code == .backend)
        #expect(server.requests.isEmpty)
    }

    @Test func explicitInsecureFlagSkipsVerification() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let object = try await get(
            configuration(port: port, ca: nil, clientCertificate: true, certificates: certificates, insecure: true))
        #expect(object.metadata.name == "settings")
    }

    @Test func certificateAuthorityTogetherWithInsecureIsRefused() throws {
        let certificates = try TestCertificates.load()
        let error = #expect(throws: TygerError.self) {
            _ = try KubernetesClient(
                configuration: configuration(
                    port: 1, ca: certificates.ca.certificatePEM, clientCertificate: false, certificates: certificates,
                    insecure: true))
        }
        #expect(error?.message.contains("insecure-skip-tls-verify") == true)
    }

    @Test func tlsServerNameVerifiesAgainstThatName() async throws {
        let certificates = try TestCertificates.load()
        // This server's certificate names only kubernetes.tyger.test, not 127.0.0.1.
        let (server, port) = try await startServer(certificates, named: true)
        defer { Task { await server.stop() } }

        await #expect(throws: TygerError.self) {
            _ = try await get(
                configuration(
                    port: port, ca: certificates.ca.certificatePEM, clientCertificate: true, certificates: certificates)
            )
        }
        let object = try await get(
            configuration(
                port: port, ca: certificates.ca.certificatePEM, clientCertificate: true, certificates: certificates,
                tlsServerName: "kubernetes.tyger.test"))
        #expect(object.metadata.name == "settings")
        #expect(server.requests.count == 1)
    }

    @Test func kubeconfigWithCertificateDataConnects() async throws {
        let certificates = try TestCertificates.load()
        let (server, port) = try await startServer(certificates)
        defer { Task { await server.stop() } }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "config",
            """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test
              cluster:
                server: https://127.0.0.1:\(port)
                certificate-authority-data: \(certificates.ca.certificatePEM.base64EncodedString())
            contexts:
            - name: test
              context: {cluster: test, user: admin, namespace: tyger}
            users:
            - name: admin
              user:
                client-certificate-data: \(certificates.client.certificatePEM.base64EncodedString())
                client-key-data: \(certificates.client.keyPEM.base64EncodedString())
            """)
        let object = try await get(try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:]))
        #expect(object.metadata.name == "settings")
        #expect(server.requests.first?.path == "/api/v1/namespaces/tyger/configmaps/settings")
    }
}
