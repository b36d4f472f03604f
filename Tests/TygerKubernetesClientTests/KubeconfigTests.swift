import Foundation
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

@Suite("Kubeconfig loading")
struct KubeconfigTests {
    /// Two clusters, two users, two contexts; `dev` is current and has a namespace.
    static let twoContexts = """
        apiVersion: v1
        kind: Config
        preferences: {}
        current-context: dev
        clusters:
        - name: dev-cluster
          cluster:
            server: https://dev.example.test:6443
            extensions:
            - name: something-unknown
              extension: {a: 1}
        - name: prod-cluster
          cluster:
            server: https://prod.example.test/
        contexts:
        - name: dev
          context:
            cluster: dev-cluster
            user: dev-user
            namespace: tyger-dev
        - name: prod
          context:
            cluster: prod-cluster
            user: prod-user
        users:
        - name: dev-user
          user:
            token: dev-token-value
        - name: prod-user
          user:
            token: prod-token-value
        """

    /// The error loading `text` as a kubeconfig gives, recorded as an issue when it loads.
    private func loadError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TygerError? {
        do {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = try dir.write("config", text)
            return #expect(throws: TygerError.self, sourceLocation: sourceLocation) {
                try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
            }
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func currentContextGivesServerNamespaceAndToken() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.twoContexts)

        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        #expect(configuration.server.absoluteString == "https://dev.example.test:6443")
        #expect(configuration.namespace == "tyger-dev")
        #expect(configuration.credentials.bearerToken == .inline("dev-token-value"))
        #expect(configuration.credentials.clientCertificate == nil)
        #expect(configuration.certificateAuthority == nil)
        #expect(configuration.insecureSkipTLSVerify == false)
        #expect(configuration.source.contains(path))
        #expect(configuration.source.contains("dev"))
    }

    @Test func explicitContextWinsOverCurrentContext() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.twoContexts)

        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, context: "prod", environment: [:])
        #expect(configuration.server.absoluteString == "https://prod.example.test")
        #expect(configuration.credentials.bearerToken == .inline("prod-token-value"))
        // The prod context has no namespace.
        #expect(configuration.namespace == "default")
    }

    @Test func namespaceArgumentOverridesTheContext() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.twoContexts)

        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, namespace: "other", environment: [:])
        #expect(configuration.namespace == "other")
    }

    @Test func missingContextIsAnErrorNamingIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("config", Self.twoContexts)

        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: path, context: "staging", environment: [:])
        }
        #expect(error?.code == .backend)
        #expect(error?.message.contains("'staging'") == true)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("'dev'") == true, "lists the available contexts")
    }

    @Test func missingCurrentContextTargetIsAnError() throws {
        let error = loadError(
            Self.twoContexts.replacingOccurrences(of: "current-context: dev", with: "current-context: gone"))
        #expect(error?.message.contains("'gone'") == true)
        #expect(error?.message.contains("current-context") == true)
    }

    @Test func contextReferringToAMissingClusterNamesBoth() throws {
        let error = loadError(
            """
            current-context: c
            contexts:
            - name: c
              context: {cluster: nowhere, user: u}
            users:
            - name: u
              user: {token: t}
            """)
        #expect(error?.message.contains("context 'c'") == true)
        #expect(error?.message.contains("'nowhere'") == true)
    }

    @Test func tokenFileIsResolvedAgainstTheKubeconfigFolder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tokenPath = try dir.write("kube/secrets/token", "file-token\n")
        let path = try dir.write(
            "kube/config",
            """
            current-context: c
            clusters:
            - name: k
              cluster: {server: "https://10.0.0.1:443"}
            contexts:
            - name: c
              context: {cluster: k, user: u}
            users:
            - name: u
              user:
                tokenFile: secrets/token
            """)

        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        #expect(configuration.credentials.bearerToken == .file(tokenPath))
    }

    @Test func inlineTokenWinsOverTokenFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {token: inline-token, tokenFile: /does/not/exist}}]
            """)
        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        #expect(configuration.credentials.bearerToken == .inline("inline-token"))
    }

    @Test func missingTokenFileIsAnErrorNamingTheFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {tokenFile: missing-token}}]
            """)
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        }
        #expect(error?.message.contains("user 'u'") == true)
        #expect(error?.message.contains("tokenFile") == true)
        #expect(error?.message.contains(dir.url.appendingPathComponent("missing-token").path) == true)
    }

    @Test func clientCertificateAndCAFromBase64Data() throws {
        let certificates = try TestCertificates.load()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "config",
            """
            current-context: c
            clusters:
            - name: k
              cluster:
                server: https://k.test:6443
                certificate-authority-data: \(certificates.ca.certificatePEM.base64EncodedString())
                tls-server-name: kubernetes.default.svc
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users:
            - name: u
              user:
                client-certificate-data: \(certificates.client.certificatePEM.base64EncodedString())
                client-key-data: \(certificates.client.keyPEM.base64EncodedString())
            """)

        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        #expect(configuration.certificateAuthority == certificates.ca.certificatePEM)
        #expect(configuration.tlsServerName == "kubernetes.default.svc")
        #expect(configuration.credentials.clientCertificate?.certificatePEM == certificates.client.certificatePEM)
        #expect(configuration.credentials.clientCertificate?.privateKeyPEM == certificates.client.keyPEM)
        #expect(configuration.credentials.bearerToken == nil)
    }

    @Test func clientCertificateAndCAFromRelativeFiles() throws {
        let certificates = try TestCertificates.load()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("home/.kube/pki/ca.crt", certificates.ca.certificatePEM)
        try dir.write("home/.kube/pki/client.crt", certificates.client.certificatePEM)
        try dir.write("home/.kube/pki/client.key", certificates.client.keyPEM)
        let path = try dir.write(
            "home/.kube/config",
            """
            current-context: c
            clusters:
            - name: k
              cluster:
                server: https://k.test:6443
                certificate-authority: pki/ca.crt
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users:
            - name: u
              user:
                client-certificate: pki/client.crt
                client-key: ./pki/client.key
            """)

        // Found through HOME, as ~/.kube/config.
        let configuration = try KubernetesConfiguration.fromKubeconfig(environment: [
            "HOME": dir.url.appendingPathComponent("home").path
        ])
        #expect(configuration.source.contains(path))
        #expect(configuration.certificateAuthority == certificates.ca.certificatePEM)
        #expect(configuration.credentials.clientCertificate?.certificatePEM == certificates.client.certificatePEM)
        #expect(configuration.credentials.clientCertificate?.privateKeyPEM == certificates.client.keyPEM)
    }

    @Test func certificateWithoutKeyIsAnError() throws {
        let certificates = try TestCertificates.load()
        let error = loadError(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {client-certificate-data: \(certificates.client.certificatePEM.base64EncodedString())}}]
            """)
        #expect(error?.message.contains("client-key") == true)
        #expect(error?.message.contains("user 'u'") == true)
    }

    @Test func badCertificateDataNamesTheFieldNotTheContent() throws {
        let garbage = Data("not a certificate at all".utf8).base64EncodedString()
        let error = loadError(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test", certificate-authority-data: "\(garbage)"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(error?.message.contains("certificate-authority-data") == true)
        #expect(error?.message.contains("cluster 'k'") == true)
        #expect(error?.message.contains(garbage) == false)
        #expect(error?.description.contains("not a certificate") == false)

        let base64Error = loadError(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test", certificate-authority-data: "@@@@"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(base64Error?.message.contains("not valid base64") == true)
    }

    @Test func kubeconfigListIsMergedFirstFileWins() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = try dir.write(
            "a/config",
            """
            current-context: from-a
            clusters:
            - name: shared
              cluster: {server: "https://a.example.test"}
            contexts:
            - name: from-a
              context: {cluster: shared, user: a-user, namespace: a-ns}
            users:
            - name: a-user
              user: {token: a-token}
            """)
        let second = try dir.write(
            "b/config",
            """
            current-context: from-b
            clusters:
            - name: shared
              cluster: {server: "https://b.example.test"}
            - name: b-only
              cluster: {server: "https://b-only.example.test"}
            contexts:
            - name: from-a
              context: {cluster: b-only, user: b-user}
            - name: from-b
              context: {cluster: shared, user: b-user, namespace: b-ns}
            - name: b-own
              context: {cluster: b-only, user: b-user}
            users:
            - name: a-user
              user: {token: overridden-token}
            - name: b-user
              user: {tokenFile: token}
            """)
        let bToken = try dir.write("b/token", "b-token")
        let environment = ["KUBECONFIG": "\(first)::\(dir.path)/missing/config:\(second)"]

        // current-context comes from the first file that sets it, and so does the context entry.
        let current = try KubernetesConfiguration.fromKubeconfig(environment: environment)
        #expect(current.server.absoluteString == "https://a.example.test")
        #expect(current.namespace == "a-ns")
        #expect(current.credentials.bearerToken == .inline("a-token"))

        // A context from the second file uses the first file's cluster of the same name, and
        // its own user, whose relative tokenFile resolves against the second file's folder.
        let fromB = try KubernetesConfiguration.fromKubeconfig(context: "from-b", environment: environment)
        #expect(fromB.server.absoluteString == "https://a.example.test")
        #expect(fromB.namespace == "b-ns")
        #expect(fromB.credentials.bearerToken == .file(bToken))

        let bOwn = try KubernetesConfiguration.fromKubeconfig(context: "b-own", environment: environment)
        #expect(bOwn.server.absoluteString == "https://b-only.example.test")

        // The reverse order gives the other file precedence.
        let reversed = try KubernetesConfiguration.fromKubeconfig(environment: ["KUBECONFIG": "\(second):\(first)"])
        #expect(reversed.server.absoluteString == "https://b.example.test")
        #expect(reversed.namespace == "b-ns")
    }

    @Test func kubeconfigListWithNoExistingFileIsAnError() throws {
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(environment: ["KUBECONFIG": "/nonexistent/a:/nonexistent/b"])
        }
        #expect(error?.message.contains("/nonexistent/a") == true)
        #expect(error?.message.contains("/nonexistent/b") == true)
    }

    @Test func missingExplicitFileIsAnErrorNamingIt() throws {
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: "/nonexistent/kubeconfig", environment: [:])
        }
        #expect(error?.message.contains("/nonexistent/kubeconfig") == true)
    }

    @Test(arguments: ["exec", "auth-provider"])
    func pluginUsersAreRejectedClearly(field: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugin =
            field == "exec"
            ? "exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin, args: [get-token]}"
            : "auth-provider: {name: gcp, config: {access-token: abc}}"
        let path = try dir.write(
            "config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test"}}]
            contexts: [{name: c, context: {cluster: k, user: cloud-user}}]
            users:
            - name: cloud-user
              user:
                \(plugin)
            """)
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        }
        #expect(error?.code == .backend)
        #expect(error?.message.contains("user 'cloud-user'") == true)
        #expect(error?.message.contains("'\(field)'") == true)
        #expect(error?.message.contains("not supported") == true)
        #expect(error?.message.contains("use a token") == true)
        #expect(error?.message.contains(path) == true)
    }

    @Test func insecureSkipTLSVerifyOnlyWhenExplicitlyTrue() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func load(_ clusterExtra: String) throws -> KubernetesConfiguration {
            let path = try dir.write(
                "config",
                """
                current-context: c
                clusters:
                - name: k
                  cluster:
                    server: https://k.test
                    \(clusterExtra)
                contexts: [{name: c, context: {cluster: k}}]
                """)
            return try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        }
        #expect(try load("").insecureSkipTLSVerify == false)
        #expect(try load("insecure-skip-tls-verify: false").insecureSkipTLSVerify == false)
        #expect(try load("insecure-skip-tls-verify: true").insecureSkipTLSVerify == true)
        #expect(try load("").credentials == .none)

        let error = #expect(throws: TygerError.self) { try load("insecure-skip-tls-verify: sometimes") }
        #expect(error?.message.contains("insecure-skip-tls-verify") == true)
    }

    @Test func certificateAuthorityWithInsecureFlagIsAnError() throws {
        let certificates = try TestCertificates.load()
        let error = loadError(
            """
            current-context: c
            clusters:
            - name: k
              cluster:
                server: https://k.test
                insecure-skip-tls-verify: true
                certificate-authority-data: \(certificates.ca.certificatePEM.base64EncodedString())
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(error?.message.contains("insecure-skip-tls-verify") == true)
        #expect(error?.message.contains("certificate authority") == true)
        #expect(error?.message.contains("cluster 'k'") == true)
    }

    @Test func proxyURLIsRejectedClearly() throws {
        let error = loadError(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.test", proxy-url: "socks5://localhost:1080"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(error?.message.contains("proxy-url") == true)
        #expect(error?.message.contains("not supported") == true)
    }

    @Test func jsonKubeconfigIsAccepted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(
            "config.json",
            """
            {"apiVersion":"v1","kind":"Config","current-context":"c",
             "clusters":[{"name":"k","cluster":{"server":"http://127.0.0.1:8080"}}],
             "contexts":[{"name":"c","context":{"cluster":"k","user":"u","namespace":"jsonns"}}],
             "users":[{"name":"u","user":{"token":"json-token"}}]}
            """)
        let configuration = try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:])
        #expect(configuration.server.absoluteString == "http://127.0.0.1:8080")
        #expect(configuration.namespace == "jsonns")
        #expect(configuration.credentials.bearerToken == .inline("json-token"))
    }

    @Test func serverMustBeAnHTTPURL() throws {
        let error = loadError(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "k.test:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(error?.message.contains("'server'") == true)
        #expect(error?.message.contains("cluster 'k'") == true)
    }
}
