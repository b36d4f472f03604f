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

// SwiftPM links executable targets with `main` renamed to `<Target>_main` (so tests can link
// them); with `-parse-as-library` there is no Swift main, so this symbol hands control to
// libFuzzer's driver, as libFuzzer's own `main` would.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzSpecDecoder_main")
public func fuzzSpecDecoderMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSpecDecoder(data, size) }
}
