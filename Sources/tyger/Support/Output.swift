import Foundation

/// Progress and errors go to standard error so that standard output carries only results.
enum Output {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
