import Foundation
import Synchronization
import TygerKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Supplies the bearer token of each request.
///
/// A token file is read again whenever it changes. Projected service-account tokens are
/// rotated by the kubelet swapping a symlink (`token -> ..data/token`), so the change is
/// detected with `stat`, which follows symlinks, comparing inode, size and modification time.
/// A stat per request costs microseconds; reading on a timer (as client-go does every
/// minute) would send a stale token for up to that long.
final class BearerTokenProvider: Sendable, CustomReflectable {
    private struct FileState {
        var identity: FileIdentity?
        var token: String?
    }

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int64
        var modifiedNanoseconds: Int64
    }

    private enum Source {
        case none
        case inline(String)
        case file(String)
    }

    private let source: Source
    private let state = Mutex(FileState())

    init(_ token: KubernetesCredentials.BearerToken?) {
        switch token {
        case nil: source = .none
        case .inline(let token): source = .inline(token)
        case .file(let path): source = .file(path)
        }
    }

    /// Whether the token comes from a file, which a 401 may mean has been rotated.
    var isFileBacked: Bool {
        if case .file = source { return true }
        return false
    }

    /// The current token; `nil` when there is none. `forceReload` reads the file even if its
    /// metadata did not change (after a 401, in case a rotation kept size and time).
    func token(forceReload: Bool = false) throws(TygerError) -> String? {
        switch source {
        case .none:
            return nil
        case .inline(let token):
            return token
        case .file(let path):
            let identity = Self.identity(of: path)
            if !forceReload, let identity, let cached = state.withLock({ $0.identity == identity ? $0.token : nil }) {
                return cached
            }
            let data = try TLSMaterial.readFile(path, what: "The bearer token file")
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else {
                throw TygerError(.backend, "The bearer token file \(path) is empty")
            }
            state.withLock { $0 = FileState(identity: identity, token: token) }
            return token
        }
    }

    /// Where the token comes from, never the token itself, for `dump` and `print`.
    var customMirror: Mirror {
        switch source {
        case .none: Mirror(self, children: [:])
        case .inline: Mirror(self, children: ["token": "<redacted>"])
        case .file(let path): Mirror(self, children: ["tokenFile": path])
        }
    }

    private static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        return FileIdentity(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modifiedSeconds: Int64(modified.tv_sec),
            modifiedNanoseconds: Int64(modified.tv_nsec)
        )
    }
}
