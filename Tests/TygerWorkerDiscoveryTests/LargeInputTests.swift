import Testing
import TygerWorkerDiscovery

/// Correctness at the scale the parser is built for; timing is measured outside the test suite.
struct LargeInputTests {
    @Test func parsesTenThousandAddresses() throws {
        let count = 10_000
        let hosts = (0..<count).map { "host-name-\($0).run-1234.workers.tyger.local" }
        let environment = [
            "TYGER_BIG_WORKER_ENDPOINT_ADDRESSES": json(hosts.map { $0 + ":9000" }),
            "TYGER_WORKER_NODES": json(hosts),
        ]
        let endpoints = try WorkerDiscovery.endpoints("big", environment: environment)
        #expect(endpoints.count == count)
        #expect(endpoints.first == WorkerEndpoint(host: "host-name-0.run-1234.workers.tyger.local", port: 9000))
        #expect(endpoints.last == WorkerEndpoint(host: "host-name-9999.run-1234.workers.tyger.local", port: 9000))
        #expect(try WorkerDiscovery.nodes(environment: environment) == hosts)
    }

    @Test func reportsTheIndexOfABadEntryDeepInALargeList() throws {
        var addresses = (0..<10_000).map { "w-\($0).svc:9000" }
        addresses[9_876] = "w-9876.svc:0"
        let error = try discoveryError {
            try WorkerDiscovery.endpoints("big", environment: ["TYGER_BIG_WORKER_ENDPOINT_ADDRESSES": json(addresses)])
        }
        #expect(error.message.hasPrefix("entry 9876 of TYGER_BIG_WORKER_ENDPOINT_ADDRESSES"))
    }
}
