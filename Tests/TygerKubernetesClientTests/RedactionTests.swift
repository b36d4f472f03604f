import Foundation
import NIOHTTP1
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

@Suite("Secrets never show")
struct RedactionTests {
    private func everyRendering(of value: Any) -> String {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped].joined(separator: "\n")
    }

    @Test func configurationAndCredentialsRedactTokenAndKey() throws {
        let certificates = try TestCertificates.load()
        let keyText = String(decoding: certificates.client.keyPEM, as: UTF8.self)
        let keyLine = keyText.split(separator: "\n")[1]  // a line of base64 key material
        let certificateLine = String(decoding: certificates.client.certificatePEM, as: UTF8.self).split(
            separator: "\n")[1]
        let credentials = KubernetesCredentials(
            bearerToken: .inline(distinctiveToken),
            clientCertificate: .init(
                certificatePEM: certificates.client.certificatePEM, privateKeyPEM: certificates.client.keyPEM))
        let configuration = KubernetesConfiguration(
            server: try testURL("https://k.test:6443"), namespace: "ns", credentials: credentials,
            certificateAuthority: certificates.ca.certificatePEM)

        for value in [
            configuration as Any, credentials, credentials.bearerToken as Any, credentials.clientCertificate as Any,
        ] {
            let text = everyRendering(of: value)
            #expect(!text.contains(distinctiveToken))
            #expect(!text.contains(keyLine))
            #expect(!text.contains(certificateLine))
            #expect(!text.contains("PRIVATE KEY"))
            #expect(text.contains("<redacted>"))
        }
        #expect(configuration.description.contains("token: <redacted>"))
        #expect(configuration.description.contains("https://k.test:6443"))
        #expect(KubernetesCredentials.tokenFile("/var/run/token").description == "tokenFile: /var/run/token")
    }

    @Test func kubeconfigErrorsNeverQuoteTheToken() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A YAML syntax error on the token's own line: parsers like to quote that line.
        let broken = try dir.write(
            "broken",
            """
            current-context: c
            users:
            - name: u
              user:
                token: \(distinctiveToken): [unclosed
            """)
        let syntaxError = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: broken, environment: [:])
        }
        #expect(syntaxError.map { !everyRendering(of: $0).contains(distinctiveToken) } == true)
        #expect(syntaxError?.message.contains(broken) == true)

        // A valid user with a token, and a broken cluster.
        let badCluster = try dir.write(
            "bad-cluster",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test", certificate-authority-data: "\(Data(distinctiveToken.utf8).base64EncodedString())"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {token: \(distinctiveToken)}}]
            """)
        let clusterError = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: badCluster, environment: [:])
        }
        #expect(clusterError.map { !everyRendering(of: $0).contains(distinctiveToken) } == true)
        #expect(
            clusterError.map { !everyRendering(of: $0).contains(Data(distinctiveToken.utf8).base64EncodedString()) }
                == true)
    }

    @Test func httpErrorsAndLogsNeverContainTheToken() async throws {
        let logs = CapturedLogs()
        let error = try await withScriptedServer(logger: logs.logger()) { server, client in
            server.enqueue(
                .status(503, reason: "ServiceUnavailable", message: "overloaded"),
                .status(401, reason: "Unauthorized", message: "Unauthorized"))
            let error = await #expect(throws: TygerError.self) {
                let _: TestConfigMap = try await client.get(.configMaps, name: "x")
            }
            #expect(server.requests.count == 2)
            #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(distinctiveToken)" })
            return error
        }
        #expect(error?.kubernetesAPIError?.statusCode == 401)
        #expect(error.map { !everyRendering(of: $0).contains(distinctiveToken) } == true)
        #expect(!logs.all.isEmpty, "trace and debug logging happened")
        #expect(logs.all.contains { $0.contains("Retrying") })
        #expect(!logs.all.joined(separator: "\n").contains(distinctiveToken))
    }
}
