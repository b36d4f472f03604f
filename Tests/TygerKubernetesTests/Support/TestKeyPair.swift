import Foundation
import TygerTestSupport

/// A self-signed certificate and its private key, made by `openssl` once per test process so
/// that no key is ever committed. The key is what the secret-leak tests look for.
struct TestKeyPair: Sendable {
    var certificatePEM: Data
    var keyPEM: Data

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The pair, or why it could not be made.
    static func load() async throws -> TestKeyPair {
        try await cache.get()
    }

    private static let cache = Cache()

    /// Makes the pair once, on a thread of its own: waiting for openssl must not block the
    /// cooperative pool.
    private actor Cache {
        private var result: Result<TestKeyPair, Failure>?

        func get() async throws -> TestKeyPair {
            if let result { return try result.get() }
            let made = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Result { () throws(Failure) in try make() }) }.start()
            }
            result = made
            return try made.get()
        }
    }

    private static func make() throws(Failure) -> TestKeyPair {
        guard let openssl = SystemTool.url("openssl")?.path else {
            throw Failure(
                description: "openssl is not installed; these tests need it to make a key: apt-get install openssl")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tyger-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("client.key").path
        let certificate = directory.appendingPathComponent("client.crt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-subj", "/CN=tyger-leak-test", "-days", "2",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try process.run()
        } catch {
            throw Failure(description: "could not run openssl: \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0, let keyPEM = FileManager.default.contents(atPath: key),
            let certificatePEM = FileManager.default.contents(atPath: certificate)
        else {
            throw Failure(description: "openssl could not make a key pair (status \(process.terminationStatus))")
        }
        return TestKeyPair(certificatePEM: certificatePEM, keyPEM: keyPEM)
    }
}
