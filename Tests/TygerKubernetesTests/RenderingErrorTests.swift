import Testing
import TygerKit
import TygerKubernetes

/// What Kubernetes cannot run is refused before anything is sent, naming the field.
@Suite struct RenderingErrorTests {
    /// All problems of one render, as `keyPath: message`.
    func problems(_ fixture: RenderCase) -> [String] {
        do {
            _ = try fixture.render()
            return []
        } catch {
            return ([error] + error.related).map { "\($0.location?.keyPath ?? "<none>"): \($0.message)" }
        }
    }

    func renderError(_ fixture: RenderCase) throws -> TygerError {
        do {
            _ = try fixture.render()
        } catch {
            return error
        }
        Issue.record("\(fixture.name) rendered, but should have failed")
        throw SchemaError("no error")
    }

    @Test func aCodespecWithoutAnImageIsRefused() throws {
        var fixture = RenderFixtures.specExample
        fixture.run = try fixture.run.changing(job: { $0.image = nil })
        let error = try renderError(fixture)
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "job.codespec.image")
        #expect(
            error.description
                == "job.codespec.image: the kubernetes backend runs container images, and this codespec has none")

        fixture.run = try fixture.run.changing(worker: { $0.image = nil })
        #expect(
            problems(fixture) == [
                "job.codespec.image: the kubernetes backend runs container images, and this codespec has none",
                "worker.codespec.image: the kubernetes backend runs container images, and this codespec has none",
            ])
        fixture.run = try fixture.run.changing(job: { $0.image = " job:1" }, worker: { $0.image = "worker:1" })
        #expect(problems(fixture) == ["job.codespec.image: the image ' job:1' must not begin or end with white space"])
    }

    @Test func aNodePoolThatIsNotALabelValueIsRefused() throws {
        var fixture = RenderFixtures.distributed
        fixture.run = try fixture.run.changing(spec: {
            $0.job.nodePool = "gpu pool!"
            $0.worker?.nodePool = String(repeating: "p", count: 64)
        })
        let found = problems(fixture)
        #expect(found.count == 2)
        #expect(found.first?.hasPrefix("job.nodePool: 'gpu pool!' is not a Kubernetes node pool name") == true)
        #expect(
            found.last?.hasPrefix(
                "worker.nodePool: '\(String(repeating: "p", count: 64))' is not a Kubernetes node pool name") == true)
    }

    @Test func anIdentityThatIsNotAServiceAccountNameIsRefused() throws {
        var fixture = RenderFixtures.distributed
        fixture.run = try fixture.run.changing(job: { $0.identity = "My_Identity" })
        let error = try renderError(fixture)
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "job.codespec.identity")
        #expect(error.message.hasPrefix("'My_Identity' does not make a Kubernetes service account name"))
        #expect(error.message.contains("runs as the service account 'tyger-custom-My_Identity-job'"))
        fixture.run = try fixture.run.changing(job: { $0.identity = nil }, worker: { $0.identity = "Worker_X" })
        #expect(try renderError(fixture).location?.keyPath == "worker.codespec.identity")
    }

    @Test func optionsThatCannotWorkAreBackendErrors() throws {
        var fixture = RenderFixtures.jobOnly
        fixture.namespace = "Research"
        let namespace = try renderError(fixture)
        #expect(namespace.code == .backend)
        #expect(namespace.location == nil)
        #expect(namespace.message.hasPrefix("the namespace 'Research' is not a Kubernetes namespace name"))
        fixture.namespace = "research"
        fixture.options.waitImage = ""
        fixture.options.labelDomain = "Tyger.dev"
        let options = try renderError(fixture)
        #expect(options.code == .backend)
        #expect(options.message == "the wait image must not be empty: the job's init container runs it")
        #expect(options.related.map(\.message) == ["the label domain 'Tyger.dev' is not a DNS subdomain, such as tyger.dev"])
    }
}
