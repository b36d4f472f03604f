import Foundation
import Testing
import TygerWorkerDiscovery

/// Lists delivered in files named by `…_FILE` variables, for when they outgrow an environment string.
struct FileVariantTests {
    private let rpc = "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"
    private let rpcFile = "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES_FILE"

    @Test func readsEndpointsFromTheFileWhenTheInlineVariableIsAbsent() throws {
        let file = try TemporaryFile(text: json(["w-0:9000", "[fd00::1]:9001"]) + "\n")
        defer { file.remove() }
        let endpoints = try WorkerDiscovery.endpoints("RPC", environment: [rpcFile: file.path])
        #expect(endpoints == [WorkerEndpoint(host: "w-0", port: 9000), WorkerEndpoint(host: "fd00::1", port: 9001)])
    }

    @Test func theInlineVariableWinsOverTheFile() throws {
        let file = try TemporaryFile(text: json(["from-file:1"]))
        defer { file.remove() }
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["inline:2"]), rpcFile: file.path])
        #expect(endpoints == [WorkerEndpoint(host: "inline", port: 2)])
    }

    @Test func readsNodesFromTheFile() throws {
        let file = try TemporaryFile(text: json(["w-0", "w-1"]))
        defer { file.remove() }
        #expect(try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES_FILE": file.path]) == ["w-0", "w-1"])
    }

    @Test func lengthMismatchAgainstANodesFileNamesTheFile() throws {
        let nodes = try TemporaryFile(text: json(["w-0", "w-1"]))
        defer { nodes.remove() }
        let environment = [rpc: json(["w-0:1"]), "TYGER_WORKER_NODES_FILE": nodes.path]
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: environment) }
        #expect(error.code == .lengthMismatch)
        #expect(error.message == "\(rpc) has 1 entry but file '\(nodes.path)' named by TYGER_WORKER_NODES_FILE has 2; "
            + "both must list every worker replica in the same order")
    }

    @Test func matchingLengthsAcrossFilesAreAccepted() throws {
        let nodes = try TemporaryFile(text: json(["w-0", "w-1"]))
        let addresses = try TemporaryFile(text: json(["w-0:1", "w-1:1"]))
        defer { nodes.remove(); addresses.remove() }
        let environment = [rpcFile: addresses.path, "TYGER_WORKER_NODES_FILE": nodes.path]
        #expect(try WorkerDiscovery.endpoints("rpc", environment: environment).count == 2)
    }

    @Test func aMissingFileIsUnreadable() throws {
        let path = "/nonexistent/\(UUID().uuidString).json"
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: path]) }
        #expect(error.code == .unreadableFile)
        #expect(error.variable == rpcFile)
        #expect(error.message == "cannot read file '\(path)' named by \(rpcFile): No such file or directory (errno 2)")
    }

    @Test func aDirectoryIsUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.path
        let error = try discoveryError { try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES_FILE": directory]) }
        #expect(error.code == .unreadableFile)
        #expect(error.variable == "TYGER_WORKER_NODES_FILE")
        #expect(error.message.contains("'\(directory)'"))
        #expect(error.message.contains("Is a directory"))
    }

    @Test func anEmptyFileVariableIsUnreadable() throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: ""]) }
        #expect(error.code == .unreadableFile)
        #expect(error.message.contains("\(rpcFile) is set but empty"))
    }

    @Test func malformedFileContentsNameTheFileAndOffset() throws {
        let file = try TemporaryFile(text: "[\"w-0:1\"\n\"w-1:1\"]")
        defer { file.remove() }
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: file.path]) }
        #expect(error.code == .malformedJSON)
        #expect(error.variable == rpcFile)
        #expect(error.message == "file '\(file.path)' named by \(rpcFile) is not a JSON array of strings: "
            + "at byte offset 9, expected ',' or ']' after an array element but found '\"'; "
            + #"contents: '["w-0:1"\n"w-1:1"]'"#)
    }

    @Test func anEmptyFileIsMalformed() throws {
        let file = try TemporaryFile(text: "")
        defer { file.remove() }
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: file.path]) }
        #expect(error.code == .malformedJSON)
        #expect(error.message.contains("at byte offset 0, expected '['"))
    }

    @Test func invalidUTF8InAFileIsMalformed() throws {
        let file = try TemporaryFile(contents: Array(#"["w"#.utf8) + [0xFF] + Array(#":1"]"#.utf8))
        defer { file.remove() }
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: file.path]) }
        #expect(error.code == .malformedJSON)
        #expect(error.message.contains("at byte offset 3, invalid UTF-8"))
    }

    @Test func invalidAddressesInAFileNameTheFileVariable() throws {
        let file = try TemporaryFile(text: json(["w-0:1", "w-1"]))
        defer { file.remove() }
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: file.path]) }
        #expect(error.code == .invalidAddress)
        #expect(error.variable == rpcFile)
        #expect(error.message.hasPrefix("entry 1 of file '\(file.path)' named by \(rpcFile) is not a valid"))
    }

    @Test func listsLargerThanAnEnvironmentStringRoundTripThroughFiles() throws {
        let addresses = (0..<10_000).map { "run-7-worker-\($0).run-7-worker.tyger.svc.cluster.local:9000" }
        let text = json(addresses)
        #expect(text.utf8.count > 128 * 1024, "the point is a list too large for one environment string")
        let file = try TemporaryFile(text: text)
        defer { file.remove() }
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: [rpcFile: file.path])
        #expect(endpoints.count == 10_000)
        #expect(endpoints.last?.description == addresses.last)
    }

    @Test func missingVariableListsEndpointsKnownOnlyThroughFiles() throws {
        let error = try discoveryError {
            try WorkerDiscovery.endpoints("grpc", environment: ["TYGER_BULK_WORKER_ENDPOINT_ADDRESSES_FILE": "/x"])
        }
        #expect(error.message.hasSuffix("; endpoints available: bulk"))
    }
}
