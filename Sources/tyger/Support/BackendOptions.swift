import ArgumentParser
import Foundation
import TygerKit

/// Which backend a command talks to: `--backend`, else `$TYGER_BACKEND`, else local.
struct BackendOptions: ParsableArguments {
    @Option(help: "The backend: local (default; also from TYGER_BACKEND).")
    var backend: String?

    func makeBackend() throws -> LocalBackend {
        let name = backend ?? ProcessInfo.processInfo.environment["TYGER_BACKEND"] ?? "local"
        guard name == "local" else {
            throw ValidationError("unknown backend '\(name)'; available: local")
        }
        return LocalBackend()
    }

    func makeClient() throws -> TygerClient {
        TygerClient(store: FileCodespecStore(), backend: try makeBackend())
    }
}
