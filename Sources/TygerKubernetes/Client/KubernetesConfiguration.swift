public import Foundation
public import TygerKit

/// Where the Kubernetes API server is and how to talk to it: its URL, the default namespace,
/// the credentials, and how to trust its TLS certificate.
///
/// Load one from a kubeconfig file (``fromKubeconfig(path:context:namespace:environment:)``),
/// from the service account of the pod the process runs in
/// (``inCluster(environment:serviceAccountDirectory:namespace:)``), or let
/// ``automatic(kubeconfigPath:context:namespace:environment:serviceAccountDirectory:)`` pick:
///
/// ```swift
/// let configuration = try KubernetesConfiguration.automatic()
/// print(configuration)  // KubernetesConfiguration(server: https://10.0.0.1:443, namespace: tyger, credentials: tokenFile: /var/run/..., ...)
/// ```
///
/// Descriptions and mirrors never show a token, key or certificate: printing or dumping a
/// configuration is safe.
public struct KubernetesConfiguration: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The API server's base URL, `https://host:port`, possibly with a path prefix that a
    /// proxy in front of the server needs.
    public var server: URL
    /// The namespace requests use when they name none.
    public var namespace: String
    /// How the client authenticates.
    public var credentials: KubernetesCredentials
    /// PEM certificates that may sign the server's certificate. When `nil` the system's
    /// trust roots are used.
    public var certificateAuthority: Data?
    /// The name to verify the server's certificate against (and send as SNI) instead of the
    /// host in ``server``; a kubeconfig's `tls-server-name`.
    public var tlsServerName: String?
    /// Accept any server certificate. Only ever `true` when asked for explicitly (a kubeconfig
    /// cluster with `insecure-skip-tls-verify: true`, or this property set in code); a
    /// configuration with both this and a ``certificateAuthority`` is rejected by the client.
    public var insecureSkipTLSVerify: Bool
    /// The `User-Agent` header of every request.
    public var userAgent: String
    /// Where this configuration came from, for messages: `kubeconfig /root/.kube/config, context "dev"`.
    public var source: String

    /// The `User-Agent` used unless another is given.
    public static let defaultUserAgent = "TygerKit-Kubernetes/1"

    /// Creates a configuration from its parts.
    public init(
        server: URL,
        namespace: String = "default",
        credentials: KubernetesCredentials = .none,
        certificateAuthority: Data? = nil,
        tlsServerName: String? = nil,
        insecureSkipTLSVerify: Bool = false,
        userAgent: String = KubernetesConfiguration.defaultUserAgent,
        source: String = "code"
    ) {
        self.server = server
        self.namespace = namespace
        self.credentials = credentials
        self.certificateAuthority = certificateAuthority
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.userAgent = userAgent
        self.source = source
    }

    public var description: String {
        var parts = [
            "server: \(displayServer)",
            "namespace: \(namespace)",
            "credentials: \(credentials)",
            "certificateAuthority: \(certificateAuthority.map { "<\($0.count) bytes>" } ?? "system roots")",
        ]
        if let tlsServerName { parts.append("tlsServerName: \(tlsServerName)") }
        if insecureSkipTLSVerify { parts.append("insecureSkipTLSVerify: true") }
        parts.append("source: \(source)")
        return "KubernetesConfiguration(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    /// The server URL for messages, without a user name or password should it hold one
    /// (the client refuses such a URL, but a description must not leak it either).
    var displayServer: String {
        guard server.user != nil || server.password != nil,
            var components = URLComponents(url: server, resolvingAgainstBaseURL: false)
        else { return server.absoluteString }
        components.user = nil
        components.password = nil
        return components.string ?? "<server URL with credentials>"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "server": displayServer,
                "namespace": namespace,
                "credentials": credentials,
                "certificateAuthority": certificateAuthority.map { "<\($0.count) bytes>" } ?? "system roots",
                "tlsServerName": tlsServerName as Any,
                "insecureSkipTLSVerify": insecureSkipTLSVerify,
                "userAgent": userAgent,
                "source": source,
            ]
        )
    }
}

// MARK: - In-cluster and automatic

extension KubernetesConfiguration {
    /// Where Kubernetes mounts a pod's service-account token, CA and namespace.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a process running in a pod: the API server from
    /// `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, the service account's token
    /// (read again when the kubelet rotates it), its `ca.crt`, and its `namespace`.
    ///
    /// - Parameter namespace: overrides the service account's namespace.
    /// - Throws: ``TygerError`` with code `.backend` when the variables are missing, a file
    ///   cannot be read, or the namespace is not a DNS-1123 label; the message names the
    ///   variable or file.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubernetesConfiguration.defaultServiceAccountDirectory,
        namespace: String? = nil
    ) throws(TygerError) -> KubernetesConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw TygerError(
                .backend,
                "Not running inside a Kubernetes cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set"
            )
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw TygerError(.backend, "KUBERNETES_SERVICE_PORT is '\(port)', not a port number (1-65535)")
        }
        // An IPv6 service address must be bracketed in a URL, as Go's net.JoinHostPort does.
        let urlHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(urlHost):\(portNumber)"), server.host != nil else {
            throw TygerError(.backend, "KUBERNETES_SERVICE_HOST is '\(host)', not a host name or address")
        }

        let directory = URL(fileURLWithPath: serviceAccountDirectory)
        let tokenPath = directory.appendingPathComponent("token").path
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw TygerError(.backend, "The service account token file \(tokenPath) does not exist or cannot be read")
        }
        let caPath = directory.appendingPathComponent("ca.crt").path
        let ca = try TLSMaterial.readFile(caPath, what: "The service account CA certificate")
        try TLSMaterial.validateCertificates(ca, what: "The service account CA certificate \(caPath)")

        // An empty namespace means none was given, as for a kubeconfig.
        var resolvedNamespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        if let namespace = resolvedNamespace {
            try RequestNames.checkNamespace(namespace, place: "The namespace given for the in-cluster configuration")
        } else {
            let namespacePath = directory.appendingPathComponent("namespace").path
            if let data = FileManager.default.contents(atPath: namespacePath) {
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty {
                    try RequestNames.checkNamespace(text, place: "The service account namespace file \(namespacePath)")
                    resolvedNamespace = text
                }
            }
        }

        return KubernetesConfiguration(
            server: server,
            namespace: resolvedNamespace ?? "default",
            credentials: .tokenFile(tokenPath),
            certificateAuthority: ca,
            source: "in-cluster service account \(serviceAccountDirectory)"
        )
    }

    /// The in-cluster configuration when the process runs in a pod (`KUBERNETES_SERVICE_HOST`
    /// is set and the service-account token exists), else the kubeconfig one.
    ///
    /// An explicit `kubeconfigPath` or `context` always selects the kubeconfig, as
    /// `kubectl --kubeconfig` does inside a pod.
    public static func automatic(
        kubeconfigPath: String? = nil,
        context: String? = nil,
        namespace: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubernetesConfiguration.defaultServiceAccountDirectory
    ) throws(TygerError) -> KubernetesConfiguration {
        let tokenPath = URL(fileURLWithPath: serviceAccountDirectory).appendingPathComponent("token").path
        if kubeconfigPath == nil, context == nil,
            let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            FileManager.default.fileExists(atPath: tokenPath)
        {
            return try inCluster(
                environment: environment, serviceAccountDirectory: serviceAccountDirectory, namespace: namespace)
        }
        return try fromKubeconfig(
            path: kubeconfigPath, context: context, namespace: namespace, environment: environment)
    }
}
