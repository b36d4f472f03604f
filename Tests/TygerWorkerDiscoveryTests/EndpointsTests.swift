import Testing
import TygerWorkerDiscovery

/// The job side, `WorkerDiscovery.endpoints(_:environment:)`, with inline variables.
struct EndpointsTests {
    private let rpc = "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"

    @Test func returnsEndpointsInReplicaOrder() throws {
        let environment = [
            rpc: json(["w-2.svc:9002", "w-0.svc:9000", "w-1.svc:9001"]),
            "TYGER_WORKER_NODES": json(["w-2.svc", "w-0.svc", "w-1.svc"]),
        ]
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: environment)
        #expect(endpoints == [
            WorkerEndpoint(host: "w-2.svc", port: 9002),
            WorkerEndpoint(host: "w-0.svc", port: 9000),
            WorkerEndpoint(host: "w-1.svc", port: 9001),
        ])
    }

    @Test func readsTheExampleFromThePlatformContract() throws {
        let environment = [
            rpc: #"["run-42-worker-0.run-42-worker.tyger.svc.cluster.local:9002","127.0.0.1:41000"]"#,
        ]
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: environment)
        #expect(endpoints.map(\.description) == [
            "run-42-worker-0.run-42-worker.tyger.svc.cluster.local:9002", "127.0.0.1:41000",
        ])
        #expect(endpoints.map(\.port) == [9002, 41000])
    }

    @Test(arguments: ["rpc", "RPC", "Rpc", "rPc"])
    func endpointNamesAreCaseInsensitive(name: String) throws {
        let endpoints = try WorkerDiscovery.endpoints(name, environment: [rpc: json(["a:1"])])
        #expect(endpoints == [WorkerEndpoint(host: "a", port: 1)])
    }

    @Test func namesMayContainDigitsAndUnderscores() throws {
        let environment = ["TYGER_METRICS_V2_WORKER_ENDPOINT_ADDRESSES": json(["m:9100"])]
        #expect(try WorkerDiscovery.endpoints("metrics_v2", environment: environment).first?.port == 9100)
    }

    /// Tyger keeps `-` and `.` in the variable, as its own `test-worker` endpoint shows.
    @Test(arguments: [("test-worker", "TEST-WORKER"), ("rpc.v2", "RPC.V2"), ("1rpc", "1RPC")])
    func namesAsTygerWritesThemReadTheirVariable(name: String, upper: String) throws {
        let environment = ["TYGER_\(upper)_WORKER_ENDPOINT_ADDRESSES": json(["w-0:9000"])]
        #expect(try WorkerDiscovery.endpoints(name, environment: environment) == [WorkerEndpoint(host: "w-0", port: 9000)])
        #expect(try WorkerDiscovery.listenPort(for: name, environment: ["TYGER_\(upper)_ENDPOINT_PORT": "9000"]) == 9000)
    }

    @Test func emptyArraysAreValid() throws {
        #expect(try WorkerDiscovery.endpoints("rpc", environment: [rpc: "[]"]) == [])
        #expect(try WorkerDiscovery.endpoints("rpc", environment: [rpc: " [ ] ", "TYGER_WORKER_NODES": "[]"]) == [])
    }

    @Test(arguments: [
        ("worker-0:9000", "worker-0", 9000),
        ("run-42-worker-0.run-42-worker.tyger.svc.cluster.local:9002",
         "run-42-worker-0.run-42-worker.tyger.svc.cluster.local", 9002),
        ("Worker_0.Example.COM.:80", "Worker_0.Example.COM.", 80),
        ("localhost:1", "localhost", 1),
        ("127.0.0.1:41000", "127.0.0.1", 41000),
        ("10.244.1.17:65535", "10.244.1.17", 65535),
        ("[fd00::1]:9000", "fd00::1", 9000),
        ("[::1]:8080", "::1", 8080),
        ("[2001:db8:85a3::8a2e:370:7334]:443", "2001:db8:85a3::8a2e:370:7334", 443),
        ("[::ffff:10.0.0.1]:22", "::ffff:10.0.0.1", 22),
        ("[fe80::1%eth0]:9000", "fe80::1%eth0", 9000),
    ])
    func acceptsHostNamesAndIPAddresses(address: String, host: String, port: Int) throws {
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: [rpc: json([address])])
        #expect(endpoints == [WorkerEndpoint(host: host, port: port)])
    }

    @Test(arguments: [
        // (address, part of the reason)
        ("worker-0", "missing ':port'"),
        ("", "missing ':port'"),
        (":9000", "empty host before ':'"),
        ("fd00::1:9000", "an IPv6 address must be in brackets"),
        ("fd00::1", "an IPv6 address must be in brackets"),
        ("::1:80", "an IPv6 address must be in brackets"),
        ("[fd00::1]", "missing ':port' after ']'"),
        ("[fd00::1]9000", "expected ':' after ']' but found '9'"),
        ("[fd00::1:9000", "missing ']'"),
        ("[]:80", "empty host between '[' and ']'"),
        ("[fd00::zz]:80", "is not a valid IPv6 address"),
        ("[10.0.0.1]:80", "is not a valid IPv6 address"),
        ("[fe80::1%]:80", "invalid IPv6 zone"),
        ("host name:80", "invalid character ' ' in host name"),
        (" host:80", "invalid character ' '"),
        ("host/x:80", "invalid character '/'"),
        ("h\\u00e9te:80", "non-ASCII character in host name"),
        ("a..b:80", "empty label"),
        (".a:80", "empty label"),
        ("-a.b:80", "starts or ends with '-'"),
        ("a-.b:80", "starts or ends with '-'"),
        ("300.1.1.1:80", "not a valid IPv4 address"),
        ("1.2.3:80", "not a valid IPv4 address"),
        ("http://host:80", "an IPv6 address must be in brackets"),
    ])
    func rejectsInvalidAddresses(address: String, reason: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["ok:1", address])]) }
        #expect(error.code == .invalidAddress)
        #expect(error.variable == rpc)
        #expect(error.message.hasPrefix("entry 1 of \(rpc) is not a valid 'host:port' address: "))
        #expect(error.message.contains(reason), "message was: \(error.message)")
    }

    @Test func invalidAddressMessageQuotesTheEntry() throws {
        let error = try discoveryError {
            try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["a:1", "b:2", "c:0"])])
        }
        #expect(error.message == "entry 2 of \(rpc) is not a valid 'host:port' address: "
            + "port '0' is out of range 1...65535; entry: 'c:0'")
    }

    @Test func rejectsLabelsAndNamesThatAreTooLong() throws {
        let longLabel = String(repeating: "a", count: 64) + ".b:80"
        let longName = Array(repeating: String(repeating: "a", count: 50), count: 6).joined(separator: ".") + ":80"
        let labelError = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: json([longLabel])]) }
        let nameError = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: json([longName])]) }
        #expect(labelError.message.contains("label longer than 63 bytes"))
        #expect(nameError.message.contains("longer than 253 bytes"))
        let longest = String(repeating: "a", count: 63) + ".b:80"
        #expect(try WorkerDiscovery.endpoints("rpc", environment: [rpc: json([longest])]).count == 1)
    }

    @Test(arguments: [
        ("0", "out of range 1...65535"),
        ("65536", "out of range 1...65535"),
        ("99999999999999999999999", "out of range 1...65535"),
        ("-1", "is not a decimal integer"),
        ("+80", "is not a decimal integer"),
        ("80a", "is not a decimal integer"),
        (" 80", "is not a decimal integer"),
        ("80 ", "is not a decimal integer"),
        ("8 0", "is not a decimal integer"),
        ("0x50", "is not a decimal integer"),
        ("080", "has a leading zero"),
        ("", "port is empty"),
    ])
    func rejectsBadPorts(port: String, reason: String) throws {
        for host in ["worker-0", "[fd00::1]"] {
            let address = host + ":" + port
            let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: json([address])]) }
            #expect(error.code == .invalidAddress)
            #expect(error.message.contains(reason), "message was: \(error.message)")
            #expect(error.message.hasSuffix("entry: '\(address)'"))
        }
    }

    @Test(arguments: [1, 80, 9000, 65535])
    func acceptsPortsAcrossTheWholeRange(port: Int) throws {
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["w:\(port)", "[::1]:\(port)"])])
        #expect(endpoints.map(\.port) == [port, port])
    }

    @Test func lengthMismatchQuotesBothCountsAndVariables() throws {
        let environment = [
            rpc: json(["w-0:1", "w-1:1", "w-2:1"]),
            "TYGER_WORKER_NODES": json(["w-0", "w-1"]),
        ]
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: environment) }
        #expect(error.code == .lengthMismatch)
        #expect(error.variable == rpc)
        #expect(error.message == "\(rpc) has 3 entries but TYGER_WORKER_NODES has 2; "
            + "both must list every worker replica in the same order")
    }

    @Test func lengthMismatchAgainstAnEmptyNodeList() throws {
        let error = try discoveryError {
            try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["w-0:1"]), "TYGER_WORKER_NODES": "[]"])
        }
        #expect(error.code == .lengthMismatch)
        #expect(error.message.contains("has 1 entry but TYGER_WORKER_NODES has 0"))
    }

    @Test func malformedNodeListIsReportedEvenWhenEndpointsAreFine() throws {
        let error = try discoveryError {
            try WorkerDiscovery.endpoints("rpc", environment: [rpc: json(["w-0:1"]), "TYGER_WORKER_NODES": "[w-0]"])
        }
        #expect(error.code == .malformedJSON)
        #expect(error.variable == "TYGER_WORKER_NODES")
    }

    @Test func missingVariableListsTheEndpointsThatExist() throws {
        let environment = [
            rpc: "[]",
            "TYGER_METRICS_WORKER_ENDPOINT_ADDRESSES_FILE": "/nonexistent",
            "TYGER_METRICS_WORKER_ENDPOINT_ADDRESSES": "[]",
            "TYGER_ADMIN_V2_WORKER_ENDPOINT_ADDRESSES_FILE": "/nonexistent",
            // Not listed: unreachable (lookups upper-case), not an endpoint list, or no name at all.
            "TYGER_Lower_WORKER_ENDPOINT_ADDRESSES": "[]",
            "TYGER_RPC_ENDPOINT_PORT": "9000",
            "TYGER_WORKER_ENDPOINT_ADDRESSES": "[]",
            "TYGER__WORKER_ENDPOINT_ADDRESSES": "[]",
            "TYGER_WORKER_NODES": "[]",
            "OTHER_GRPC_WORKER_ENDPOINT_ADDRESSES": "[]",
        ]
        let error = try discoveryError { try WorkerDiscovery.endpoints("grpc", environment: environment) }
        #expect(error.code == .missingVariable)
        #expect(error.variable == "TYGER_GRPC_WORKER_ENDPOINT_ADDRESSES")
        #expect(error.message == "TYGER_GRPC_WORKER_ENDPOINT_ADDRESSES is not set "
            + "(nor TYGER_GRPC_WORKER_ENDPOINT_ADDRESSES_FILE); endpoints available: admin_v2, metrics, rpc")
    }

    @Test func missingVariableWithNoEndpointsAtAll() throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: ["TYGER_RUN_ID": "1"]) }
        #expect(error.code == .missingVariable)
        #expect(error.message == "\(rpc) is not set (nor \(rpc)_FILE); "
            + "no worker endpoints are set (is this process the job of a run with workers?)")
    }

    @Test(arguments: ["", "rpc$", "rpc:x", "rpc/x", "rpc x", "rpc+x", "rpc=1", "rpc\n", "rpç", "RPC_WORKER_ENDPOINT_ADDRESSES=x"])
    func rejectsInvalidEndpointNames(name: String) throws {
        // Even a variable spelled exactly like the name would be is never consulted.
        let spoofed = "TYGER_" + name.uppercased() + "_WORKER_ENDPOINT_ADDRESSES"
        let error = try discoveryError {
            try WorkerDiscovery.endpoints(name, environment: [spoofed: json(["a:1"]), rpc: json(["a:1"])])
        }
        #expect(error.code == .invalidName)
        #expect(error.variable == nil)
        #expect(error.message.contains("is not a valid endpoint name; names must match ^[-._A-Za-z0-9]+$"))
    }

    @Test func malformedJSONNamesTheVariableOffsetAndValue() throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: #"["a:1","b:2",]"#]) }
        #expect(error.code == .malformedJSON)
        #expect(error.variable == rpc)
        #expect(error.message == "\(rpc) is not a JSON array of strings: at byte offset 12, "
            + #"trailing comma before ']' (JSON does not allow one); value: '["a:1","b:2",]'"#)
    }

    @Test(arguments: [
        (#"["a:1""#, "at byte offset 6,"),              // truncated
        (#"["a:1",]"#, "trailing comma"),
        (#"["a:1",9000]"#, "found a number"),
        (#"["a\q:1"]"#, "invalid escape"),
        (#"["\uD800:1"]"#, "unpaired high surrogate"),
        (#"["a:1"]x"#, "expected end of input"),
        ("", "found end of input"),
        ("a:1,b:2", "expected '['"),
    ])
    func everyKindOfMalformedJSONIsReported(value: String, detail: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect(error.code == .malformedJSON)
        #expect(error.message.contains(detail), "message was: \(error.message)")
        #expect(error.message.hasSuffix("value: '\(value)'"))
    }

    @Test func longMalformedValuesAreQuotedAsAnExcerptAroundTheProblem() throws {
        let entries = (0..<100).map { "worker-\($0).svc:9000" }
        let value = String(json(entries).dropLast()) + ",oops]"
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        let offset = value.utf8.count - 5
        #expect(error.message.contains("at byte offset \(offset), expected a string element but found 'o'"))
        #expect(error.message.contains("…"))
        #expect(error.message.contains("oops]'"), "the excerpt must show the offending bytes")
        #expect(error.message.contains("of \(value.utf8.count) bytes)"))
        #expect(error.message.utf8.count < 400, "message was \(error.message.utf8.count) bytes")
    }

    @Test func longValuesWithAnEarlyProblemShowTheirStart() throws {
        let value = "[x" + String(repeating: " ", count: 1000) + "]"
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect(error.message.contains("value: '[x"))
        #expect(error.message.hasSuffix("…' (first 200 of 1003 bytes)"))
    }

    @Test func controlCharactersInQuotedValuesAreEscaped() throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: "[\"a\nb:1\"]"]) }
        #expect(error.message.hasSuffix(#"value: '["a\nb:1"]'"#))
        #expect(!error.message.contains("\n"))
    }
}
