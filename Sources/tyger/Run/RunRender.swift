import ArgumentParser
import Foundation
import TygerKit
import TygerKubernetes

struct RunRender: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the Kubernetes objects a run becomes, as YAML, without a cluster.",
        discussion: """
            Named codespecs resolve from the local store ($TYGER_HOME). The objects are printed \
            in creation order; ownerReferences are added at creation, once the Job's uid is known.
            """
    )

    @OptionGroup var spec: RunSpecOptions

    @Option(help: "The namespace the objects go to.")
    var namespace = "tyger"

    @Option(help: "The run ID to render names with.")
    var runID = "1"

    @OptionGroup var render: RenderFlags

    func run() async throws {
        guard let id = RunID(runID) else {
            throw ValidationError("--run-id '\(runID)' is not a run ID; allowed: a whole number from 1 to \(Int.max)")
        }
        let resolved = try await FileCodespecStore().resolve(try spec.runSpec())
        let rendered = try RunRenderer.render(runID: id, run: resolved, namespace: namespace, options: try render.options())
        Output.line(try rendered.yaml())
    }
}
