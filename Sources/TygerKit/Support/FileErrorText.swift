import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Words a person can act on for file-system failures, instead of Foundation's domain and
/// code (`NSCocoaErrorDomain error 256`).
enum FileErrorText {
    /// The system's text for an `errno` value, such as `No space left on device`.
    static func errno(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// What went wrong, from a Foundation or POSIX error.
    static func describe(_ error: any Error) -> String {
        if let posix = underlyingErrno(error) {
            return Self.errno(posix)
        }
        if let cocoa = error as? CocoaError, let underlying = cocoa.underlying {
            return describe(underlying)
        }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file or directory"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            case .fileReadCorruptFile: return "the file is damaged"
            case .fileReadTooLarge: return "the file is too large"
            case .fileWriteOutOfSpace: return "no space left on device"
            case .fileWriteVolumeReadOnly: return "the volume is read-only"
            case .fileReadInapplicableStringEncoding: return "the file is not valid UTF-8"
            case .fileWriteFileExists: return "a file is in the way where a directory should be"
            case .fileReadUnknown, .fileWriteUnknown: break
            default: break
            }
        }
        if let decoding = error as? DecodingError { return describe(decoding) }
        return "\(error)"
    }

    /// A decoding failure in one line: what was wrong, and where.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
        case .keyNotFound(let key, let context): return "'\(key.stringValue)' is missing\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(error)"
        }
    }

    private static func underlyingErrno(_ error: any Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        let bridged = error as NSError
        if bridged.domain == NSPOSIXErrorDomain { return Int32(bridged.code) }
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return nil
    }
}
