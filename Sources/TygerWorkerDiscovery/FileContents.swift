#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files with the C library, so reading a `_FILE` variable does not pull in Foundation.
enum FileContents {
    /// Why a file could not be read: the C `errno` and its `strerror` text.
    struct ReadError: Error, Sendable {
        var number: Int32
        var text: String
    }

    /// Reads every byte of the file at `path`.
    static func read(path: String) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw currentError() }
        defer { _ = close(descriptor) }

        var info = stat()
        var capacity = 64 * 1024
        if fstat(descriptor, &info) == 0, info.st_size > 0 {
            // +1 so a file of exactly st_size bytes ends in one read that returns 0, not a regrow.
            capacity = Int(info.st_size) + 1
        }
        var bytes = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while true {
            if count == bytes.count {
                // The file grew after fstat, or it is a pipe or /proc file with no size.
                bytes.append(contentsOf: repeatElement(0, count: bytes.count))
            }
            let result = bytes.withUnsafeMutableBytes { buffer in
                readDescriptor(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if result > 0 {
                count += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw currentError()
            }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    private static func currentError() -> ReadError {
        let code = errno
        return ReadError(number: code, text: String(cString: strerror(code)))
    }
}

/// `read` is shadowed inside ``FileContents`` by its own `read(path:)`; this names the C one.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
