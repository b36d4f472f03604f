import Foundation
import TygerTestSupport

/// The built `tyger` command, run as a user runs it, for the command-line suites.
enum TygerProcess {
    /// Runs `tyger` with the Kubernetes backend and `kubeconfig`. `KUBERNETES_SERVICE_HOST`
    /// is cleared so a test machine inside a pod still uses the kubeconfig.
    static func run(
        _ arguments: [String], kubeconfig: String, environment: [String: String] = [:]
    ) async throws -> ProcessResult {
        let variables = ["KUBECONFIG": kubeconfig, "TYGER_BACKEND": "kubernetes", "KUBERNETES_SERVICE_HOST": ""]
            .merging(environment) { $1 }
        return try await ChildProcess(try BuiltProduct.url("tyger"), arguments, environment: variables).run()
    }
}
