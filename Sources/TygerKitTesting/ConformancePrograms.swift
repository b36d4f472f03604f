public import TygerKit

/// The programs the conformance suite runs, packaged for a backend: `tyger-conformance`
/// as a local executable, or inside a container image.
///
/// `tyger-conformance` (a product of this package) provides a worker that answers every
/// connection with its replica index, a job that checks the discovery contract, and small
/// programs that exit, sleep, print or ignore SIGTERM.
public struct ConformancePrograms: Sendable {
    private let make: @Sendable (_ kind: CodespecKind, _ arguments: [String]) -> Codespec

    /// Creates programs from a function that turns a kind and `tyger-conformance` arguments into a codespec.
    public init(make: @escaping @Sendable (_ kind: CodespecKind, _ arguments: [String]) -> Codespec) {
        self.make = make
    }

    /// The programs as an executable on this machine, for backends that run commands.
    public static func executable(_ path: String) -> ConformancePrograms {
        ConformancePrograms { kind, arguments in
            Codespec(kind: kind, command: [path], args: arguments)
        }
    }

    /// The programs inside a container image whose `PATH` holds `tyger-conformance`.
    public static func image(_ image: String, command: String = "tyger-conformance") -> ConformancePrograms {
        ConformancePrograms { kind, arguments in
            Codespec(kind: kind, image: image, command: [command], args: arguments)
        }
    }

    /// A codespec that runs `tyger-conformance` with `arguments`.
    public func codespec(_ kind: CodespecKind, _ arguments: [String], endpoints: [Endpoint] = []) -> Codespec {
        var codespec = make(kind, arguments)
        codespec.endpoints = endpoints
        return codespec
    }
}
