import Foundation
import NIOSSL
import TygerKit

/// Reading and checking PEM certificates and keys, and turning a configuration into a NIOSSL
/// client TLS configuration.
///
/// Messages name files and fields only: the content of a key, token or certificate never
/// goes into an error.
enum TLSMaterial {
    /// Reads a whole file, with an error that names it (and not its content).
    static func readFile(_ path: String, what: String) throws(TygerError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TygerError(.backend, "\(what) \(path) cannot be read: \(Self.reason(error))", underlying: error)
        }
    }

    /// Decodes a kubeconfig `*-data` field: standard base64, line breaks allowed.
    static func decodeBase64(_ text: String, what: String) throws(TygerError) -> Data {
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact), !data.isEmpty else {
            throw TygerError(.backend, "\(what) is not valid base64")
        }
        return data
    }

    /// Parses PEM certificates, failing when there are none.
    static func certificates(_ pem: Data, what: String) throws(TygerError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem))
        } catch {
            throw TygerError(.backend, "\(what) is not a PEM certificate", underlying: error)
        }
        guard !certificates.isEmpty else {
            throw TygerError(.backend, "\(what) holds no PEM certificate")
        }
        return certificates
    }

    static func validateCertificates(_ pem: Data, what: String) throws(TygerError) {
        _ = try certificates(pem, what: what)
    }

    /// Parses a PEM private key (PKCS#8, PKCS#1 or SEC1; not encrypted).
    static func privateKey(_ pem: Data, what: String) throws(TygerError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: Array(pem), format: .pem)
        } catch {
            throw TygerError(
                .backend, "\(what) is not an unencrypted PEM private key", underlying: error)
        }
    }

    static func validatePrivateKey(_ pem: Data, what: String) throws(TygerError) {
        _ = try privateKey(pem, what: what)
    }

    /// The client TLS configuration for a cluster: its CA as the only trust roots when given
    /// (as kubectl does), else the system roots; the client certificate when given; no
    /// verification only when the configuration explicitly asks for it.
    static func clientConfiguration(for configuration: KubernetesConfiguration) throws(TygerError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if configuration.insecureSkipTLSVerify {
            if configuration.certificateAuthority != nil {
                throw TygerError(
                    .backend,
                    "\(configuration.source): a certificate authority and insecure-skip-tls-verify cannot both be set; remove one of them"
                )
            }
            tls.certificateVerification = .none
        } else if let ca = configuration.certificateAuthority {
            tls.trustRoots = .certificates(
                try certificates(ca, what: "The certificate authority of \(configuration.source)"))
        }
        if let client = configuration.credentials.clientCertificate {
            let chain = try certificates(
                client.certificatePEM, what: "The client certificate of \(configuration.source)")
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(
                try privateKey(client.privateKeyPEM, what: "The client key of \(configuration.source)"))
        }
        return tls
    }

    /// A short reason for a file error, without Foundation's long-winded wrapping.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
