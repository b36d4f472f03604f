import Foundation
import Testing
import TygerKit
import TygerKubernetes
import TygerKubernetesTesting
import TygerTestSupport

/// Every user-controlled string that ends up in a Kubernetes request is checked before the
/// request is made, with an error naming the field and what is allowed. The test server's
/// request log proves that nothing was sent.
///
/// Where the strings go:
///
/// | string | from | becomes |
/// |---|---|---|
/// | namespace | kubeconfig context, `--namespace`, in-cluster file, code | URL path segment, object namespaces, worker hostnames |
/// | object name | client callers, run IDs (`run show ID`), codespec names | URL path segment, field selectors |
/// | run ID | `run show/cancel/logs`, `run render --run-id` | object names, label values, selectors |
/// | codespec name | `codespec show NAME`, run files | annotation value; a hash in a label |
/// | label domain, node pool label, toleration | render and store options | label and annotation keys, tolerations |
/// | `env` keys, endpoint names | codespecs | container env names, port names, `TYGER_<NAME>_...` |
/// | `identity`, `nodePool`, `image` | codespecs, run files | `serviceAccountName`, `nodeSelector`, `image` |
/// | tag keys and values | run files | the run record |
/// | `--context` | command line | a kubeconfig lookup only (never a request) |
@Suite("Names are checked before they reach Kubernetes")
struct NameSafetyTests {
    static let badNamespaces = [
        "../..", "..", ".", "a/b", "../kube-system", "Tyger", "tyger?watch=true", "tyger%2F..", "-tyger", "tyger-",
        "ty ger", "tyger#x", "tyger\n", String(repeating: "a", count: 64), "ünïcode",
    ]

    static let badObjectNames = ["..", ".", "a/b", "../../api/v1/secrets", "%2e%2e", "a%2Fb", ""]

    /// A client of `server` that does not retry, so a refused request is refused once.
    private static func client(_ server: KubernetesTestServer, namespace: String = "tyger") throws -> KubernetesClient {
        try KubernetesClient(
            configuration: KubernetesConfiguration(server: server.baseURL, namespace: namespace),
            options: .init(retryPolicy: .none))
    }

    /// One call of every kind the client makes, in `namespace` (`nil`: the configuration's).
    private static func everyCall(_ client: KubernetesClient, namespace: String?, name: String = "x")
        -> [(String, @Sendable () async throws -> Void)]
    {
        let object = ConfigMap(metadata: ObjectMeta(name: name))
        return [
            ("get", { _ = try await client.get(.configMaps, name: name, namespace: namespace, as: ConfigMap.self) }),
            ("list", { _ = try await client.list(.configMaps, namespace: namespace, as: ConfigMap.self) }),
            ("create", { _ = try await client.create(.configMaps, object: object, namespace: namespace) }),
            (
                "replace",
                { _ = try await client.replace(.configMaps, name: name, object: object, namespace: namespace) }
            ),
            (
                "patch",
                {
                    _ = try await client.patch(
                        .configMaps, name: name, namespace: namespace, mergePatch: Data("{}".utf8), as: ConfigMap.self)
                }
            ),
            ("delete", { _ = try await client.delete(.configMaps, name: name, namespace: namespace) }),
            (
                "watch",
                {
                    for try await _ in client.watch(
                        .configMaps, namespace: namespace, timeoutSeconds: 1, as: ConfigMap.self)
                    {
                        break
                    }
                }
            ),
            ("logs", { for try await _ in client.logs(pod: name, namespace: namespace) { break } }),
        ]
    }

    /// Every problem of an error with its location, one per entry.
    private static func problems(_ error: TygerError?) -> [String] {
        guard let error else { return [] }
        return ([error] + error.related).map(\.description)
    }

    // MARK: The client

    @Test(arguments: badNamespaces)
    func theClientRefusesBadNamespacesBeforeSending(_ namespace: String) async throws {
        try await withKubernetesTestServer { server in
            let explicit = try Self.client(server)
            let configured = try Self.client(server, namespace: namespace)
            server.clearRequests()
            let calls = Self.everyCall(explicit, namespace: namespace) + Self.everyCall(configured, namespace: nil)
            for (verb, call) in calls {
                let error = await #expect(throws: TygerError.self, "\(verb)") { try await call() }
                #expect(error?.code == .backend)
                #expect(
                    error?.message.contains("the namespace '\(namespace)' is not a Kubernetes namespace name") == true,
                    "\(verb): \(error?.message ?? "")")
                #expect(error?.message.contains("allowed: a DNS-1123 label") == true)
            }
            #expect(server.requests.isEmpty, "\(server.requests)")

            // The log does record requests: a good namespace reaches the server.
            await #expect(throws: TygerError.self) {
                _ = try await explicit.get(.configMaps, name: "missing", namespace: "tyger", as: ConfigMap.self)
            }
            #expect(server.requests.count == 1)
            try await explicit.shutdown()
            try await configured.shutdown()
        }
    }

    @Test(arguments: badObjectNames)
    func theClientRefusesObjectNamesThatAreNotOnePathSegment(_ name: String) async throws {
        try await withKubernetesTestServer { server in
            let client = try Self.client(server)
            server.clearRequests()
            // list and create name no object in the path.
            for (verb, call) in Self.everyCall(client, namespace: "tyger", name: name)
            where !["list", "create", "watch"].contains(verb) {
                let error = await #expect(throws: TygerError.self, "\(verb)") { try await call() }
                let message = error?.message ?? ""
                #expect(
                    message.contains("cannot name the object '\(name)'") || message.contains("needs an object name"),
                    "\(verb): \(message)")
            }
            let clusterScoped = await #expect(throws: TygerError.self) {
                _ = try await client.get(.namespaces, name: name, as: ConfigMap.self)
            }
            #expect(clusterScoped?.code == .backend)
            #expect(server.requests.isEmpty, "\(server.requests)")
            try await client.shutdown()
        }
    }

    /// Names that are one segment but hold URL syntax are percent-encoded: the server sees a
    /// plain GET of an object with an odd name, not a watch or another path.
    @Test func urlSyntaxInNamesIsPercentEncoded() async throws {
        #expect(
            KubernetesResource.configMaps.objectPath(name: "a?watch=true#x y", namespace: "tyger")
                == "/api/v1/namespaces/tyger/configmaps/a%3Fwatch=true%23x%20y")
        #expect(
            KubernetesResource.pods.objectPath(name: "p", namespace: "tyger", subresource: "log")
                == "/api/v1/namespaces/tyger/pods/p/log")
        try await withKubernetesTestServer { server in
            let client = try Self.client(server)
            server.clearRequests()
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.get(.configMaps, name: "a?watch=true#x y", as: ConfigMap.self)
            }
            #expect(error?.kubernetesAPIError?.isNotFound == true)
            #expect(server.requests.count == 1)
            #expect(server.requests.first.map { $0.method == "GET" && !$0.isWatch && $0.query.isEmpty } == true)
            #expect(server.requests.first?.path.hasPrefix("/api/v1/namespaces/tyger/configmaps/") == true)
            try await client.shutdown()
        }
    }

    // MARK: Where namespaces come from

    @Test func everySourceOfANamespaceChecksIt() async throws {
        let keys = try await TestKeyPair.load()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("token", "sa-token")
        try dir.write("ca.crt", String(decoding: keys.certificatePEM, as: UTF8.self))
        let inCluster = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        for namespace in Self.badNamespaces where namespace.trimmingCharacters(in: .whitespacesAndNewlines) == namespace
        {
            let path = try dir.write(
                "config",
                """
                current-context: c
                clusters: [{name: k, cluster: {server: "https://k.test"}}]
                contexts: [{name: c, context: {cluster: k, namespace: "\(namespace)"}}, {name: plain, context: {cluster: k}}]
                """)
            let sources: [(String, String, () throws -> KubernetesConfiguration)] = [
                (
                    "the context", "context 'c': field 'namespace'",
                    { try KubernetesConfiguration.fromKubeconfig(path: path, environment: [:]) }
                ),
                (
                    "the argument", "The namespace given for the kubeconfig \(path)",
                    {
                        try KubernetesConfiguration.fromKubeconfig(
                            path: path, context: "plain", namespace: namespace, environment: [:])
                    }
                ),
                (
                    "automatic, with a kubeconfig", "The namespace given for the kubeconfig",
                    {
                        try KubernetesConfiguration.automatic(
                            context: "plain", namespace: namespace, environment: ["KUBECONFIG": path])
                    }
                ),
                (
                    "the in-cluster argument", "The namespace given for the in-cluster configuration",
                    {
                        try KubernetesConfiguration.inCluster(
                            environment: inCluster, serviceAccountDirectory: dir.url.path, namespace: namespace)
                    }
                ),
                (
                    "the service account file", "The service account namespace file",
                    {
                        try dir.write("namespace", namespace)
                        defer { try? FileManager.default.removeItem(at: dir.url.appendingPathComponent("namespace")) }
                        return try KubernetesConfiguration.automatic(
                            environment: inCluster, serviceAccountDirectory: dir.url.path)
                    }
                ),
            ]
            for (what, place, load) in sources {
                let error = #expect(throws: TygerError.self, "\(what): \(namespace)") { _ = try load() }
                #expect(error?.message.contains(place) == true, "\(what): \(error?.message ?? "")")
                #expect(
                    error?.message.contains("the namespace '\(namespace)' is not a Kubernetes namespace name") == true,
                    "\(what): \(error?.message ?? "")")
            }
        }
    }

    // MARK: The backend and the store

    /// The namespace is the client's: a backend over a client with a bad one cannot be made,
    /// and its store, which shares the client, is never reached.
    @Test(arguments: badNamespaces)
    func aBackendCannotBeMadeForABadNamespace(_ namespace: String) async throws {
        try await withKubernetesTestServer { server in
            let client = try KubernetesClient(
                configuration: KubernetesConfiguration(server: server.baseURL, namespace: namespace))
            server.clearRequests()
            let error = #expect(throws: TygerError.self) { _ = try KubernetesBackend(client: client) }
            #expect(error?.code == .backend)
            #expect(
                error?.message.contains("the namespace '\(namespace)' is not a Kubernetes namespace name") == true,
                "\(error?.message ?? "")")
            #expect(server.requests.isEmpty, "\(server.requests)")
            try await client.shutdown()
        }
    }

    /// The backend and its store share the client, so they always target one namespace.
    @Test func theBackendAndItsStoreShareTheClientsNamespace() async throws {
        try await withKubernetesBackend { backend, server in
            #expect(backend.namespace == "tyger")
            #expect(backend.codespecStore.namespace == backend.namespace)
            server.clearRequests()
            _ = try await backend.codespecStore.create(Codespec(name: "x", image: "busybox"))
            #expect(server.requests.allSatisfy { $0.path.contains("/namespaces/tyger/") }, "\(server.requests.map(\.path))")
        }
    }

    @Test(arguments: ["Tyger.dev", "tyger.dev/x", "-tyger.dev", "tyger..dev", "tyger dev"])
    func badLabelDomainsAreRefusedBeforeSending(_ domain: String) async throws {
        try await withKubernetesTestServer { server in
            let client = try Self.client(server)
            var configuration = KubernetesBackend.Configuration()
            configuration.render.labelDomain = domain
            server.clearRequests()
            let backendError = #expect(throws: TygerError.self) {
                _ = try KubernetesBackend(client: client, configuration: configuration)
            }
            let storeError = #expect(throws: TygerError.self) {
                _ = try ConfigMapCodespecStore(client: client, labelDomain: domain)
            }
            for error in [backendError, storeError] {
                #expect(error?.message.contains("label domain '\(domain)'") == true, "\(error?.message ?? "")")
            }
            #expect(server.requests.isEmpty, "\(server.requests)")
            try await client.shutdown()
        }
    }

    @Test(arguments: ["../x", "A", "a/b", "..", ".", "", "a b", "a/versions/1", "x\n"])
    func badCodespecNamesAreNotLookedUp(_ name: String) async throws {
        try await withKubernetesBackend { backend, server in
            let store = backend.codespecStore
            server.clearRequests()
            let shown = await #expect(throws: TygerError.self) {
                _ = try await store.codespec(named: name, version: nil)
            }
            #expect(shown?.code == .codespecNotFound)
            #expect(
                shown?.message.contains(#"codespec names match ^[a-z0-9\-._]+$"#) == true, "\(shown?.message ?? "")")
            let created = await #expect(throws: TygerError.self) {
                _ = try await store.create(Codespec(name: name, image: "busybox"))
            }
            #expect(created?.code == .invalidSpec)
            #expect(created?.description.contains("name:") == true, "\(created?.description ?? "")")
            #expect(server.requests.isEmpty, "\(server.requests)")
        }
    }

    // MARK: Codespec and run fields

    /// A run field with a bad value, the key path the error must name and a part of its rule.
    struct BadField: Sendable, CustomTestStringConvertible {
        var name: String
        var change: @Sendable (inout RunSpec) -> Void
        var keyPath: String
        var rule: String
        var testDescription: String { name }
    }

    static let badFields: [BadField] = {
        func job(_ change: @escaping @Sendable (inout Codespec) -> Void) -> @Sendable (inout RunSpec) -> Void {
            { spec in
                guard case .inline(var codespec) = spec.job.codespec else { return }
                change(&codespec)
                spec.job.codespec = .inline(codespec)
            }
        }
        func worker(_ change: @escaping @Sendable (inout Codespec) -> Void) -> @Sendable (inout RunSpec) -> Void {
            { spec in
                guard case .inline(var codespec)? = spec.worker?.codespec else { return }
                change(&codespec)
                spec.worker?.codespec = .inline(codespec)
            }
        }
        let envRule = "is not a valid environment variable name; allowed: ^[-._a-zA-Z][-._a-zA-Z0-9]*$"
        let endpointRule = "is not a valid endpoint name; allowed: ^[-._A-Za-z0-9]+$"
        let identityRule = "does not make a Kubernetes service account name"
        let nodePoolRule = "is not a Kubernetes node pool name"
        var fields: [BadField] = []
        for key in ["A=B", "1X", "A B", "", "É", "A/B"] {
            fields.append(
                .init(
                    name: "job env '\(key)'", change: job { $0.env = [key: "1"] }, keyPath: "job.codespec.env.\(key)",
                    rule: envRule))
        }
        fields.append(
            .init(
                name: "worker env 'A=B'", change: worker { $0.env = ["A=B": "1"] }, keyPath: "worker.codespec.env.A=B",
                rule: envRule))
        for name in ["rpc$", "rpc:1", "rpc/port", "r pc", "", "rpc=1"] {
            fields.append(
                .init(
                    name: "endpoint '\(name)'", change: worker { $0.endpoints = [Endpoint(name: name, port: 9002)] },
                    keyPath: "worker.codespec.endpoints.\(name)", rule: endpointRule))
        }
        fields.append(
            .init(
                name: "endpoints 'rpc' and 'RPC'",
                change: worker { $0.endpoints = [Endpoint(name: "rpc", port: 1), Endpoint(name: "RPC", port: 2)] },
                keyPath: "worker.codespec.endpoints.", rule: "both become TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"))
        // An empty identity is no identity, as Tyger reads it.
        for identity in ["My_Identity", "../sa", "a/b", "sa:x"] {
            fields.append(
                .init(
                    name: "job identity '\(identity)'", change: job { $0.identity = identity },
                    keyPath: "job.codespec.identity", rule: identityRule))
        }
        fields.append(
            .init(
                name: "worker identity 'a/b'", change: worker { $0.identity = "a/b" },
                keyPath: "worker.codespec.identity", rule: identityRule))
        for pool in ["gpu pool", "pool/1", "-a", String(repeating: "a", count: 64), "a=b"] {
            fields.append(
                .init(
                    name: "job node pool '\(pool)'", change: { $0.job.nodePool = pool }, keyPath: "job.nodePool",
                    rule: nodePoolRule))
        }
        fields.append(
            .init(
                name: "worker node pool 'a,b'", change: { $0.worker?.nodePool = "a,b" }, keyPath: "worker.nodePool",
                rule: nodePoolRule))
        fields.append(
            .init(
                name: "image with a newline", change: job { $0.image = "busybox\n" }, keyPath: "job.codespec.image",
                rule: "must not begin or end with white space"))
        fields.append(
            .init(
                name: "empty image", change: job { $0.image = "" }, keyPath: "job.codespec.image",
                rule: "must not be empty"))
        fields.append(
            .init(
                name: "tag key 'a/b'", change: { $0.tags = ["a/b": "x"] }, keyPath: "tags.a/b",
                rule: "is not a valid tag key; allowed: ^[a-zA-Z0-9-_.]{1,128}$"))
        fields.append(
            .init(
                name: "tag value 'x y'", change: { $0.job.tags = ["k": "x y"] }, keyPath: "job.tags.k",
                rule: "is not a valid tag value; allowed: ^[a-zA-Z0-9-_.]{0,256}$"))
        fields.append(
            .init(
                name: "buffer 'A_B'", change: job { $0.buffers = BufferParameters(inputs: ["A_B"]) },
                keyPath: "job.codespec.buffers.inputs[0]", rule: "is not a valid buffer name; allowed:"))
        return fields
    }()

    private static func validRun() -> RunSpec {
        RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: "busybox", command: ["true"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "busybox", command: ["true"],
                        endpoints: [Endpoint(name: "rpc", port: 9002)]))))
    }

    @Test(arguments: badFields)
    func badRunAndCodespecFieldsAreRefusedBeforeAnyRequest(_ field: BadField) async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: backend.codespecStore, backend: backend)
            var spec = Self.validRun()
            field.change(&spec)
            server.clearRequests()
            let error = await #expect(throws: TygerError.self) { _ = try await client.createRun(spec) }
            #expect(
                Self.problems(error).contains { $0.contains(field.keyPath) && $0.contains(field.rule) },
                "\(Self.problems(error))")
            #expect(server.requests.isEmpty, "\(server.requests)")
        }
    }

    /// A stored codespec is a ConfigMap others can edit: it is checked again when a run uses
    /// it, and nothing is written.
    struct StoredEdit: Sendable, CustomTestStringConvertible {
        var field: String
        var good: String
        var bad: String
        var keyPath: String
        var testDescription: String { "\(field) '\(bad)'" }
    }

    @Test(arguments: [
        StoredEdit(field: "env", good: "GOOD_NAME", bad: "BAD NAME", keyPath: "job.codespec.env.BAD NAME"),
        StoredEdit(field: "identity", good: "good-identity", bad: "../sa", keyPath: "job.codespec.identity"),
    ])
    func storedCodespecsEditedOnTheClusterAreCheckedAgain(_ edit: StoredEdit) async throws {
        let (good, bad, keyPath) = (edit.good, edit.bad, edit.keyPath)
        try await withKubernetesBackend { backend, server in
            let store = backend.codespecStore
            let codespec =
                edit.field == "env"
                ? Codespec(name: "edited", image: "busybox", command: ["true"], env: [good: "1"])
                : Codespec(name: "edited", image: "busybox", command: ["true"], identity: good)
            _ = try await store.create(codespec)
            let stored = try await backend.client.list(
                .configMaps, labelSelector: "tyger.dev/kind=codespec", as: ConfigMap.self)
            #expect(stored.items.count == 1)
            guard var configMap = stored.items.first, let name = configMap.metadata.name,
                let text = configMap.data?["codespec.json"], text.contains("\"\(good)\"")
            else {
                Issue.record("the stored codespec was not found: \(stored.items)")
                return
            }
            configMap.data?["codespec.json"] = text.replacingOccurrences(of: "\"\(good)\"", with: "\"\(bad)\"")
            _ = try await backend.client.replace(.configMaps, name: name, object: configMap)

            server.clearRequests()
            let client = TygerClient(store: store, backend: backend)
            let error = await #expect(throws: TygerError.self) {
                _ = try await client.createRun(RunSpec(job: JobTarget(codespec: .named("edited", version: nil))))
            }
            #expect(Self.problems(error).contains { $0.contains(keyPath) }, "\(Self.problems(error))")
            #expect(server.requests.filter(\.isWrite).isEmpty, "\(server.requests)")
        }
    }
}

/// The same checks from the `tyger` command line, through a kubeconfig.
@Suite("Names are checked before they reach Kubernetes: command line")
struct NameSafetyCommandLineTests {
    @Test func badNamesOnTheCommandLineSendNothing() async throws {
        try await withKubernetesTestServer { server in
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let kubeconfig = try dir.write("kubeconfig", server.kubeconfig(namespace: "tyger"))
            let runFile = try dir.write(
                "run.yaml",
                """
                job:
                  codespec: {image: busybox, command: ["true"]}
                """)
            let cases: [(arguments: [String], expected: String)] = [
                (["run", "list", "--namespace", "../.."], "the namespace '../..' is not a Kubernetes namespace name"),
                (["run", "show", "1", "--namespace", "a/b"], "the namespace 'a/b' is not a Kubernetes namespace name"),
                (["codespec", "show", "x", "--namespace", "Tyger"], "the namespace 'Tyger' is not"),
                (
                    ["run", "list", "--context", "tyger-test", "--namespace", "../kube-system"],
                    "the namespace '../kube-system' is not"
                ),
                (["run", "list", "--context", "../.."], "The context '../..' was not found"),
                (["run", "list", "--context", "a/b?x=1"], "The context 'a/b?x=1' was not found"),
                (["run", "show", "../1"], "The run '../1' was not found; run IDs are whole numbers"),
                (["run", "cancel", "1/../2"], "The run '1/../2' was not found; run IDs are whole numbers"),
                (["run", "logs", "abc"], "The run 'abc' was not found; run IDs are whole numbers"),
                (["run", "show", "1,tyger.dev/role!=job"], "The run '1,tyger.dev/role!=job' was not found"),
                (["run", "show", "9223372036854775808"], "The run '9223372036854775808' was not found"),
                (["codespec", "show", "../x"], "The codespec '../x' was not found; codespec names match"),
                (["run", "render", "-f", runFile, "--run-id", "../1"], "--run-id '../1' is not a run ID"),
                (["run", "render", "-f", runFile, "--namespace", "../.."], "the namespace '../..' is not"),
                (
                    ["run", "create", "-f", runFile, "--node-pool", "a/b"],
                    "job.nodePool: 'a/b' is not a Kubernetes node pool name"
                ),
                (["run", "create", "-f", runFile, "--tag", "a/b=c"], "tags.a/b: 'a/b' is not a valid tag key"),
            ]
            server.clearRequests()
            for (arguments, expected) in cases {
                let result = try await TygerProcess.run(arguments, kubeconfig: kubeconfig)
                #expect(result.status != 0, "\(arguments)")
                #expect(result.stderr.contains(expected), "\(arguments): \(result.output)")
            }
            #expect(server.requests.isEmpty, "\(server.requests)")
        }
    }
}
