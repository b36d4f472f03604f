import FuzzDriver
import TygerWorkerDiscovery

/// libFuzzer entry point: the bytes, as text, given to every discovery parser as the value of
/// the variables it reads. Errors are expected; a crash, hang or sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiscovery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    // The first line, when short, also serves as the endpoint name and a node list, so that
    // length mismatches and name checks are reached too.
    let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    let name = firstLine.count <= 32 ? firstLine : "rpc"
    let endpointVariable = "TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES"
    _ = try? WorkerDiscovery.endpoints("rpc", environment: ["TYGER_RPC_WORKER_ENDPOINT_ADDRESSES": text])
    _ = try? WorkerDiscovery.endpoints(
        name, environment: [endpointVariable: text, "TYGER_WORKER_NODES": text]
    )
    _ = try? WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES": text])
    _ = try? WorkerDiscovery.workerIndex(environment: ["TYGER_WORKER_INDEX": text])
    _ = try? WorkerDiscovery.listenPort(for: name, environment: ["TYGER_\(name.uppercased())_ENDPOINT_PORT": text])
    _ = try? WorkerDiscovery.runID(environment: ["TYGER_RUN_ID": text])
    return 0
}

@_cdecl("FuzzDiscovery_main")
public func fuzzDiscoveryMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzDiscovery(data, size) }
}
