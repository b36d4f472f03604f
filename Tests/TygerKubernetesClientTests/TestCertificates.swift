import Foundation
import TygerTestSupport

/// A CA, server certificates and a client certificate made with `openssl` at test time, so
/// no private key is ever committed. Made once per test process.
struct TestCertificates: Sendable {
    struct Pair: Sendable {
        var certificatePath: String
        var keyPath: String
        var certificatePEM: Data
        var keyPEM: Data
    }

    /// The CA that signs everything below.
    var ca: Pair
    /// A server certificate for `localhost` and `127.0.0.1`.
    var server: Pair
    /// A server certificate only for `kubernetes.tyger.test`, to test `tls-server-name`.
    var namedServer: Pair
    /// A client certificate (`CN=tyger-test-user`).
    var client: Pair
    /// The folder they are in.
    var directory: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The certificates, or why they could not be made.
    static func load() throws -> TestCertificates {
        try shared.get()
    }

    private static let shared: Result<TestCertificates, Failure> = Result { () throws(Failure) in try make() }

    private static func make() throws(Failure) -> TestCertificates {
        guard let openssl = SystemTool.url("openssl")?.path else {
            throw Failure(
                description:
                    "openssl is not installed; the TLS tests need it to make test certificates: apt-get install openssl"
            )
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tyger-k8s-certs-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            func write(_ name: String, _ text: String) throws {
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
            }
            try write(
                "ca.cnf",
                """
                [req]
                distinguished_name = dn
                prompt = no
                x509_extensions = v3_ca
                [dn]
                CN = Tyger Test CA
                [v3_ca]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash

                """)
            try write(
                "leaf.cnf",
                """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                CN = leaf

                """)
            try write(
                "server.ext",
                """
                basicConstraints = CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:localhost, IP:127.0.0.1
                authorityKeyIdentifier = keyid

                """)
            try write(
                "named-server.ext",
                """
                basicConstraints = CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = DNS:kubernetes.tyger.test
                authorityKeyIdentifier = keyid

                """)
            try write(
                "client.ext",
                """
                basicConstraints = CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = clientAuth
                authorityKeyIdentifier = keyid

                """)
        } catch {
            throw Failure(description: "could not write the openssl configuration in \(directory): \(error)")
        }

        func run(_ arguments: [String]) throws(Failure) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                throw Failure(description: "could not run openssl: \(error)")
            }
            let output = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(
                    description:
                        "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))"
                )
            }
        }

        func key(_ name: String) throws(Failure) {
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(name).key"])
        }

        try key("ca")
        try run([
            "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "3", "-config", "ca.cnf", "-out", "ca.crt",
        ])
        for (name, subject, ext) in [
            ("server", "/CN=localhost", "server.ext"),
            ("named-server", "/CN=kubernetes.tyger.test", "named-server.ext"),
            ("client", "/CN=tyger-test-user/O=system:masters", "client.ext"),
        ] {
            try key(name)
            try run([
                "req", "-new", "-key", "\(name).key", "-config", "leaf.cnf", "-subj", subject, "-out", "\(name).csr",
            ])
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days",
                "3",
                "-sha256", "-extfile", ext, "-out", "\(name).crt",
            ])
        }

        func pair(_ name: String) throws(Failure) -> Pair {
            let certificatePath = "\(directory)/\(name).crt"
            let keyPath = "\(directory)/\(name).key"
            guard let certificate = FileManager.default.contents(atPath: certificatePath),
                let key = FileManager.default.contents(atPath: keyPath)
            else {
                throw Failure(description: "openssl did not write \(certificatePath) and \(keyPath)")
            }
            return Pair(certificatePath: certificatePath, keyPath: keyPath, certificatePEM: certificate, keyPEM: key)
        }
        return TestCertificates(
            ca: try pair("ca"), server: try pair("server"), namedServer: try pair("named-server"),
            client: try pair("client"), directory: directory)
    }
}
