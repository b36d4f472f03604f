import FuzzDriver
import TygerKit

/// libFuzzer entry point: the bytes, as text, decoded and validated as a run file and as a
/// codespec file. Errors are expected; a crash, hang or sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? SpecFile.decodeRun(from: text, file: "fuzz.yaml")
    _ = try? SpecFile.decodeCodespec(from: text, file: "fuzz.yaml")
    return 0
}

@_cdecl("FuzzSpecDecoder_main")
public func fuzzSpecDecoderMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzSpecDecoder(data, size) }
}
