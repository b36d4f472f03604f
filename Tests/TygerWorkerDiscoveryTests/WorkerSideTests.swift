import Testing
import TygerWorkerDiscovery

/// What a worker replica reads about itself, plus `TYGER_RUN_ID` and `TYGER_WORKER_NODES`.
struct WorkerSideTests {
    @Test(arguments: [("0", 0), ("7", 7), ("12345", 12345)])
    func readsTheWorkerIndex(value: String, expected: Int) throws {
        #expect(try WorkerDiscovery.workerIndex(environment: ["TYGER_WORKER_INDEX": value]) == expected)
    }

    @Test(arguments: ["", "-1", "+1", "1.0", " 1", "1 ", "one", "01", "0x1", "99999999999999999999"])
    func rejectsGarbageWorkerIndexes(value: String) throws {
        let error = try discoveryError { try WorkerDiscovery.workerIndex(environment: ["TYGER_WORKER_INDEX": value]) }
        #expect(error.code == .invalidValue)
        #expect(error.variable == "TYGER_WORKER_INDEX")
        #expect(error.message.hasPrefix("TYGER_WORKER_INDEX must be a replica index"))
        #expect(error.message.hasSuffix("but is '\(value)'"))
    }

    @Test func aMissingWorkerIndexNamesTheVariable() throws {
        let error = try discoveryError { try WorkerDiscovery.workerIndex(environment: ["TYGER_RUN_ID": "1"]) }
        #expect(error.code == .missingVariable)
        #expect(error.variable == "TYGER_WORKER_INDEX")
        #expect(error.message == "TYGER_WORKER_INDEX is not set; is this process a worker replica of a run?")
    }

    @Test(arguments: ["rpc", "RPC", "Rpc"])
    func readsTheListenPortCaseInsensitively(name: String) throws {
        #expect(try WorkerDiscovery.listenPort(for: name, environment: ["TYGER_RPC_ENDPOINT_PORT": "9002"]) == 9002)
    }

    @Test(arguments: ["1", "65535"])
    func acceptsListenPortsAtTheEdgesOfTheRange(value: String) throws {
        let port = try WorkerDiscovery.listenPort(for: "rpc", environment: ["TYGER_RPC_ENDPOINT_PORT": value])
        #expect(String(port) == value)
    }

    @Test(arguments: [
        ("0", "out of range"), ("65536", "out of range"), ("-1", "not a decimal integer"),
        ("+80", "not a decimal integer"), ("80a", "not a decimal integer"), ("", "port is empty"),
        (" 80", "not a decimal integer"), ("080", "leading zero"),
    ])
    func rejectsGarbageListenPorts(value: String, reason: String) throws {
        let error = try discoveryError {
            try WorkerDiscovery.listenPort(for: "rpc", environment: ["TYGER_RPC_ENDPOINT_PORT": value])
        }
        #expect(error.code == .invalidValue)
        #expect(error.variable == "TYGER_RPC_ENDPOINT_PORT")
        #expect(error.message.hasPrefix("TYGER_RPC_ENDPOINT_PORT is not a valid port: "))
        #expect(error.message.contains(reason))
        #expect(error.message.hasSuffix("value: '\(value)'"))
    }

    @Test func aMissingListenPortListsThePortsThatExist() throws {
        let environment = [
            "TYGER_RPC_ENDPOINT_PORT": "9000",
            "TYGER_METRICS_ENDPOINT_PORT": "9100",
            "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES": "[]",
        ]
        let error = try discoveryError { try WorkerDiscovery.listenPort(for: "grpc", environment: environment) }
        #expect(error.code == .missingVariable)
        #expect(error.variable == "TYGER_GRPC_ENDPOINT_PORT")
        #expect(error.message == "TYGER_GRPC_ENDPOINT_PORT is not set; endpoint ports available: metrics, rpc")
    }

    @Test func aMissingListenPortWithNoPortsAtAll() throws {
        let error = try discoveryError { try WorkerDiscovery.listenPort(for: "rpc", environment: [:]) }
        #expect(error.message.hasSuffix("no endpoint ports are set (is this process a worker replica of a run with endpoints?)"))
    }

    @Test(arguments: ["", "9rpc$", "rpc/1", "rpc port"])
    func listenPortRejectsInvalidNames(name: String) throws {
        let error = try discoveryError {
            try WorkerDiscovery.listenPort(for: name, environment: ["TYGER_\(name.uppercased())_ENDPOINT_PORT": "1"])
        }
        #expect(error.code == .invalidName)
        #expect(error.variable == nil)
    }

    @Test func readsTheRunID() throws {
        #expect(try WorkerDiscovery.runID(environment: ["TYGER_RUN_ID": "run-42"]) == "run-42")
    }

    @Test func aMissingOrEmptyRunIDIsAnError() throws {
        let missing = try discoveryError { try WorkerDiscovery.runID(environment: [:]) }
        #expect(missing.code == .missingVariable)
        #expect(missing.variable == "TYGER_RUN_ID")
        #expect(missing.message.hasPrefix("TYGER_RUN_ID is not set"))
        let empty = try discoveryError { try WorkerDiscovery.runID(environment: ["TYGER_RUN_ID": ""]) }
        #expect(empty.code == .invalidValue)
        #expect(empty.message == "TYGER_RUN_ID is set but empty")
    }

    @Test func readsNodesInReplicaOrder() throws {
        let environment = ["TYGER_WORKER_NODES": json(["w-1.svc", "10.0.0.7", "fd00::1", "w-0.svc."])]
        #expect(try WorkerDiscovery.nodes(environment: environment) == ["w-1.svc", "10.0.0.7", "fd00::1", "w-0.svc."])
        #expect(try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES": "[]"]) == [])
    }

    @Test(arguments: [("", "empty host name"), ("a b", "invalid character ' '"), ("w-0:80", "not a valid IPv6 address"),
                      ("[fd00::1]", "is not a valid IPv6 address"), ("a..b", "empty label")])
    func rejectsNodesThatAreNotHostNames(node: String, reason: String) throws {
        let error = try discoveryError {
            try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES": json(["ok", node])])
        }
        #expect(error.code == .invalidValue)
        #expect(error.variable == "TYGER_WORKER_NODES")
        #expect(error.message.hasPrefix("entry 1 of TYGER_WORKER_NODES is not a valid host name: "))
        #expect(error.message.contains(reason), "message was: \(error.message)")
    }

    @Test func missingNodesNameBothVariables() throws {
        let error = try discoveryError { try WorkerDiscovery.nodes(environment: [:]) }
        #expect(error.code == .missingVariable)
        #expect(error.variable == "TYGER_WORKER_NODES")
        #expect(error.message.hasPrefix("TYGER_WORKER_NODES is not set (nor TYGER_WORKER_NODES_FILE)"))
    }

    @Test func malformedNodes() throws {
        let error = try discoveryError { try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES": #"["a","b""#]) }
        #expect(error.code == .malformedJSON)
        #expect(error.message.contains("at byte offset 8"))
    }
}
