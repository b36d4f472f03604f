import Foundation

/// The strict Kubernetes JSON Schemas of the PyPI package `kubernetes-validate`, which CI
/// installs. Tests fail, never skip, when it is missing.
enum KubernetesSchemas {
    static let installHint =
        "the Kubernetes JSON Schemas come from the PyPI package kubernetes-validate: run `pip install kubernetes-validate`"

    /// The schema file of each object kind, by `apiVersion/kind`.
    static let files = [
        "batch/v1/Job": "job-batch-v1.json",
        "apps/v1/StatefulSet": "statefulset-apps-v1.json",
        "v1/Service": "service-v1.json",
        "v1/ConfigMap": "configmap-v1.json",
        "v1/Pod": "pod-v1.json",
    ]

    /// The Kubernetes versions every rendered object is validated against: the oldest
    /// supported (1.28) and 1.37, plus the newest the package has if it is newer still.
    static let requiredVersions = [28, 37]

    /// `.../site-packages/kubernetes_validate/kubernetes-json-schema`.
    static func root() throws -> URL {
        let result = try Command.runBlocking(
            "python3", ["-c", "import kubernetes_validate,os;print(os.path.dirname(kubernetes_validate.__file__))"])
        guard result.status == 0 else {
            throw SchemaError(
                "python3 cannot import kubernetes_validate (\(result.stderr.trimmed.split(separator: "\n").last ?? "")); \(installHint)"
            )
        }
        let root = URL(fileURLWithPath: result.stdout.trimmed).appendingPathComponent("kubernetes-json-schema")
        guard FileManager.default.fileExists(atPath: root.path) else {
            throw SchemaError("no schema folder at \(root.path); \(installHint)")
        }
        return root
    }

    /// The minor versions that have a `v1.NN.0-local-strict` folder, ascending.
    static func availableMinorVersions(in root: URL) throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: root.path).compactMap { name in
            guard name.hasPrefix("v1."), name.hasSuffix(".0-local-strict") else { return nil }
            return Int(name.dropFirst(3).dropLast(".0-local-strict".count))
        }.sorted()
    }

    /// A validator per version to check, loaded with every object schema.
    static func validators() throws -> [(version: String, validator: JSONSchemaValidator)] {
        let root = try root()
        let available = try availableMinorVersions(in: root)
        var versions = requiredVersions
        for version in requiredVersions where !available.contains(version) {
            throw SchemaError(
                "kubernetes-validate has no strict schemas for 1.\(version) (it has \(available)); \(installHint)")
        }
        if let newest = available.last, !versions.contains(where: { $0 >= newest }) { versions.append(newest) }
        return try versions.map { minor in
            let folder = root.appendingPathComponent("v1.\(minor).0-local-strict")
            return ("1.\(minor)", try JSONSchemaValidator(folder: folder, files: Array(files.values)))
        }
    }

    /// The schema file for an object, from its `apiVersion` and `kind`.
    static func file(apiVersion: String, kind: String) throws -> String {
        guard let file = files["\(apiVersion)/\(kind)"] else {
            throw SchemaError("no schema file for \(apiVersion) \(kind)")
        }
        return file
    }
}

struct SchemaError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program found in `PATH` and collects its output.
enum Command {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the program on a thread of its own: Swift's cooperative pool has one thread per
    /// core, and a test that blocks one stalls every other test of the run.
    static func run(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Swift.Result {
                    try runBlocking(program, arguments, environment: environment, currentDirectory: currentDirectory)
                })
            }.start()
        }
    }

    static func runBlocking(
        _ program: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        // Output goes to files, so a chatty program can never block on a full pipe.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let errors = try FileHandle(forWritingTo: errorURL)
        defer {
            try? output.close()
            try? errors.close()
        }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: outputURL, encoding: .utf8),
            stderr: try String(contentsOf: errorURL, encoding: .utf8)
        )
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
