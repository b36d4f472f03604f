import Testing
import TygerWorkerDiscovery

/// `WorkerEndpoint` and `WorkerDiscoveryError` as values.
struct ValueTypeTests {
    @Test(arguments: [
        (WorkerEndpoint(host: "w-0.svc", port: 9000), "w-0.svc:9000"),
        (WorkerEndpoint(host: "127.0.0.1", port: 1), "127.0.0.1:1"),
        (WorkerEndpoint(host: "fd00::1", port: 9000), "[fd00::1]:9000"),
        (WorkerEndpoint(host: "fe80::1%eth0", port: 80), "[fe80::1%eth0]:80"),
    ])
    func descriptionIsHostColonPortWithIPv6Bracketed(endpoint: WorkerEndpoint, expected: String) {
        #expect(endpoint.description == expected)
        #expect("\(endpoint)" == expected)
    }

    @Test func descriptionsRoundTripThroughDiscovery() throws {
        let addresses = ["w-0:1", "[fd00::1]:2", "10.0.0.1:3", "[::ffff:10.0.0.1]:4"]
        let endpoints = try WorkerDiscovery.endpoints(
            "rpc", environment: ["TYGER_RPC_WORKER_ENDPOINT_ADDRESSES": json(addresses)])
        #expect(endpoints.map(\.description) == addresses)
    }

    @Test func endpointsAreHashableByHostAndPort() {
        let set: Set = [
            WorkerEndpoint(host: "a", port: 1), WorkerEndpoint(host: "a", port: 1),
            WorkerEndpoint(host: "a", port: 2), WorkerEndpoint(host: "b", port: 1),
        ]
        #expect(set.count == 3)
    }

    @Test func errorCodesAreDistinctAndNamed() {
        let codes: [WorkerDiscoveryError.Code] = [
            .missingVariable, .malformedJSON, .invalidAddress, .lengthMismatch, .invalidName, .unreadableFile, .invalidValue,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(codes.map(\.description) == [
            "missingVariable", "malformedJSON", "invalidAddress", "lengthMismatch", "invalidName", "unreadableFile",
            "invalidValue",
        ])
    }

    @Test func errorDescriptionIsTheMessage() throws {
        let error = try discoveryError { try WorkerDiscovery.runID(environment: [:]) }
        #expect(error.description == error.message)
        #expect(String(describing: error) == error.message)
    }

    @Test func errorsCompareByCodeVariableAndMessage() {
        let error = WorkerDiscoveryError(code: .invalidValue, variable: "X", message: "m")
        #expect(error == WorkerDiscoveryError(code: .invalidValue, variable: "X", message: "m"))
        #expect(error != WorkerDiscoveryError(code: .invalidName, variable: "X", message: "m"))
        #expect(error != WorkerDiscoveryError(code: .invalidValue, variable: nil, message: "m"))
        #expect(error != WorkerDiscoveryError(code: .invalidValue, variable: "X", message: "n"))
    }

    @Test func errorsCanBeMatchedByCodeInACatchClause() {
        var matched = false
        do {
            _ = try WorkerDiscovery.workerIndex(environment: [:])
        } catch where error.code == .missingVariable {
            matched = true
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(matched)
    }
}
