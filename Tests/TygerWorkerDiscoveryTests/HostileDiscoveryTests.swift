import Foundation
import Testing
import TygerWorkerDiscovery

/// Hostile values in the discovery variables and files: each must give a clear error, never a
/// crash, and return promptly.
struct HostileDiscoveryTests {
    private let rpc = "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"

    @Test(arguments: [
        ("100,000 [", String(repeating: "[", count: 100_000)),
        ("100,000 [ then ]", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)),
        ("nested objects", String(repeating: "{\"a\":", count: 100_000)),
        ("an array inside the array", "[[\"a:1\"]]"),
    ])
    func deeplyNestedJSONIsMalformed(name: String, value: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect(error.code == .malformedJSON, "\(name): \(error.message)")
        #expect(error.variable == rpc)
        #expect(error.message.utf8.count < 1_000, "messages stay readable")
    }

    @Test func tenMegabyteElementIsRejectedAsAnAddress() throws {
        let value = "[\"" + String(repeating: "a", count: 10 * 1024 * 1024) + ":1\"]"
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect(error.code == .invalidAddress, "\(error.message.prefix(300))")
        #expect(error.message.utf8.count < 1_000, "the message does not echo 10 MB")
    }

    @Test func tenMegabytesOfValidAddressesParse() throws {
        let count = 800_000
        let value = "[" + (0..<count).map { "\"w\($0 % 1000):\($0 % 65_535 + 1)\"" }.joined(separator: ",") + "]"
        #expect(value.utf8.count > 10_000_000)
        let endpoints = try WorkerDiscovery.endpoints("rpc", environment: [rpc: value])
        #expect(endpoints.count == count)
    }

    @Test(arguments: [
        ("raw NUL in an element", "[\"a\u{0}b:1\"]"),
        ("escaped NUL in an element", #"["a\u0000b:1"]"#),
        ("NUL after the array", "[\"a:1\"]\u{0}"),
        ("NUL before the array", "\u{0}[\"a:1\"]"),
    ])
    func nulBytesAreRejected(name: String, value: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect([.malformedJSON, .invalidAddress].contains(error.code), "\(name): \(error.code) \(error.message)")
    }

    @Test(arguments: [
        ("lone continuation byte", [UInt8(0x80)]),
        ("invalid lead byte", [UInt8(0xFF)]),
        ("truncated sequence", [UInt8(0xE2), 0x82]),
        ("overlong slash", [UInt8(0xC0), 0xAF]),
        ("UTF-16 surrogate", [UInt8(0xED), 0xA0, 0x80]),
    ])
    func invalidUTF8InAFileIsRejected(name: String, bytes: [UInt8]) throws {
        let file = try TemporaryFile(contents: Array("[\"w".utf8) + bytes + Array(":1\"]".utf8))
        defer { file.remove() }
        let variable = rpc + "_FILE"
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [variable: file.path]) }
        #expect([.malformedJSON, .invalidAddress].contains(error.code), "\(name): \(error.code) \(error.message)")
        #expect(error.variable == variable)
    }

    @Test func invalidUTF8InANodesFileIsRejected() throws {
        let file = try TemporaryFile(contents: Array("[\"w-0\",\"w\u{1}".utf8) + [0xFF] + Array("\"]".utf8))
        defer { file.remove() }
        let error = try discoveryError { try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES_FILE": file.path]) }
        #expect([.malformedJSON, .invalidAddress].contains(error.code), "\(error.code) \(error.message)")
    }

    @Test(arguments: [
        ("10 million commas", "[" + String(repeating: ",", count: 10_000_000) + "]"),
        ("10 million commas after an element", "[\"a:1\"" + String(repeating: ",", count: 10_000_000) + "]"),
        ("10 million empty strings", "[" + Array(repeating: "\"\"", count: 1_000_000).joined(separator: ",") + "]"),
        ("10 MB of whitespace", String(repeating: " ", count: 10 * 1024 * 1024)),
    ])
    func manyCommasAreRejected(name: String, value: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints("rpc", environment: [rpc: value]) }
        #expect([.malformedJSON, .invalidAddress].contains(error.code), "\(name): \(error.code)")
        #expect(error.message.utf8.count < 1_000)
    }

    @Test(arguments: ["", " ", "-1", "99999999999999999999999", "1e3", "0x10", "+1", "1\u{0}", "١"])
    func hostileWorkerIndexIsRejected(value: String) throws {
        let error = try discoveryError { try WorkerDiscovery.workerIndex(environment: ["TYGER_WORKER_INDEX": value]) }
        #expect(error.variable == "TYGER_WORKER_INDEX", "\(error.message)")
    }

    @Test(arguments: ["", "0", "65536", "70000", "-1", "99999999999999999999", "8080\u{0}", " 80"])
    func hostileListenPortIsRejected(value: String) throws {
        let error = try discoveryError {
            try WorkerDiscovery.listenPort(for: "rpc", environment: ["TYGER_RPC_ENDPOINT_PORT": value])
        }
        #expect(error.variable == "TYGER_RPC_ENDPOINT_PORT", "\(error.message)")
    }

    @Test(arguments: ["rpc\u{0}", "r:p:c", "", "ü", "rpc " + String(repeating: "a", count: 100_000)])
    func hostileEndpointNamesAreRejected(name: String) throws {
        let error = try discoveryError { try WorkerDiscovery.endpoints(name, environment: [:]) }
        #expect(error.code == .invalidName, "\(error.code) \(error.message.prefix(200))")
        #expect(error.message.utf8.count < 2_000, "the message does not echo 100 KB")
    }

    /// A 100,000-character name is valid (letters only); it is looked up and reported missing.
    @Test func hugeValidEndpointNameIsLookedUp() throws {
        let name = String(repeating: "a", count: 100_000)
        let error = try discoveryError { try WorkerDiscovery.endpoints(name, environment: [:]) }
        #expect(error.code == .missingVariable)
    }
}
