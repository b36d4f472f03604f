import Foundation

/// Progress and errors go to standard error so that standard output carries only results.
enum Output {
    /// Writes one line to standard output at once, so followed logs appear live also in a pipe.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
