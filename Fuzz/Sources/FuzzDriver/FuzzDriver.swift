/// Hands the process to libFuzzer with `body` as the function under test.
///
/// SwiftPM links an executable target's `<Target>_main` as `main`, which would bypass
/// libFuzzer's own `main`; each target's `<Target>_main` calls this instead, and libFuzzer's
/// `LLVMFuzzerRunDriver` parses the command line and drives the fuzzing loop.
public func runFuzzer(
    _ argc: Int32,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, body)
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
