import Testing
@testable import TygerDocker

/// The engine's multiplexed log stream, cut into lines.
@Suite struct LogFramesTests {
    private func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let size = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)]
            + payload
    }

    private func lines(_ bytes: [UInt8], cutEvery step: Int) -> [String] {
        var frames = LogFrames()
        var lines: [String] = []
        let emit = { (stream: LogFrames.Stream, text: String) in lines.append("\(stream):\(text)") }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + step, bytes.count)
            bytes[offset..<end].withUnsafeBytes { frames.append($0, emit: emit) }
            offset = end
        }
        frames.finish(emit: emit)
        return lines
    }

    @Test("Frames cut anywhere give the same lines, stdout and stderr kept apart", arguments: [1, 3, 8, 9, 1000])
    func cutAnywhere(step: Int) {
        let bytes = frame(1, "hello ") + frame(2, "warn") + frame(1, "world\nsecond\n") + frame(2, "ing\n") + frame(1, "last")
        #expect(lines(bytes, cutEvery: step) == ["stdout:hello world", "stdout:second", "stderr:warning", "stdout:last"])
    }

    @Test("An empty frame and an unknown stream do not break the stream")
    func oddFrames() {
        let bytes = frame(1, "") + frame(3, "odd\n") + frame(2, "err\n")
        #expect(lines(bytes, cutEvery: 5) == ["stdout:odd", "stderr:err"])
    }
}
