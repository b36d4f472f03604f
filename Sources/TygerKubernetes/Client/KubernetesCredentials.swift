public import Foundation

/// How the client proves who it is to the API server: a bearer token (inline, or a file
/// that is read again when it changes), a client certificate with its private key, both,
/// or nothing.
///
/// Secrets never appear in ``description``, ``debugDescription`` or a `Mirror` (so `dump`
/// and `print` are safe): they show as `<redacted>`.
///
/// ```swift
/// let credentials = KubernetesCredentials.tokenFile("/var/run/secrets/kubernetes.io/serviceaccount/token")
/// print(credentials)  // tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
/// ```
public struct KubernetesCredentials: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// A bearer token, sent as `Authorization: Bearer <token>`.
    public enum BearerToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// A token given as text.
        case inline(String)
        /// A file holding the token. Projected service-account tokens are rotated by the
        /// kubelet, so the client reads the file again whenever it changes.
        case file(String)

        public var description: String {
            switch self {
            case .inline: "token: <redacted>"
            case .file(let path): "tokenFile: \(path)"
            }
        }

        public var debugDescription: String { description }

        public var customMirror: Mirror {
            switch self {
            case .inline: Mirror(self, children: ["token": "<redacted>"])
            case .file(let path): Mirror(self, children: ["tokenFile": path])
            }
        }
    }

    /// A client certificate chain and its private key, both PEM.
    public struct ClientCertificate: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// The PEM certificate chain, leaf first.
        public var certificatePEM: Data
        /// The PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
        public var privateKeyPEM: Data

        /// Creates a client certificate from PEM data.
        public init(certificatePEM: Data, privateKeyPEM: Data) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }

        public var description: String { "clientCertificate: <redacted>, clientKey: <redacted>" }
        public var debugDescription: String { description }
        public var customMirror: Mirror {
            Mirror(self, children: ["certificatePEM": "<redacted>", "privateKeyPEM": "<redacted>"])
        }
    }

    /// The bearer token, if any.
    public var bearerToken: BearerToken?
    /// The client certificate, if any.
    public var clientCertificate: ClientCertificate?

    /// Creates credentials; both may be set, as in a kubeconfig user with a token and a certificate.
    public init(bearerToken: BearerToken? = nil, clientCertificate: ClientCertificate? = nil) {
        self.bearerToken = bearerToken
        self.clientCertificate = clientCertificate
    }

    /// No credentials: the request is anonymous.
    public static let none = KubernetesCredentials()

    /// An inline bearer token.
    public static func token(_ token: String) -> KubernetesCredentials {
        KubernetesCredentials(bearerToken: .inline(token))
    }

    /// A bearer token read from a file, again whenever the file changes.
    public static func tokenFile(_ path: String) -> KubernetesCredentials {
        KubernetesCredentials(bearerToken: .file(path))
    }

    /// A client certificate and private key, PEM.
    public static func clientCertificate(certificatePEM: Data, privateKeyPEM: Data) -> KubernetesCredentials {
        KubernetesCredentials(
            clientCertificate: ClientCertificate(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM))
    }

    public var description: String {
        let parts = [bearerToken?.description, clientCertificate?.description].compactMap { $0 }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    public var debugDescription: String { "KubernetesCredentials(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: ["bearerToken": bearerToken as Any, "clientCertificate": clientCertificate as Any])
    }
}
