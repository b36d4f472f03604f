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
        fixture.run.jobCodespec.image = nil
        let error = try renderError(fixture)
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "job.codespec.image")
        #expect(
            error.description
                == "job.codespec.image: the kubernetes backend runs container images, and this codespec has none")

        fixture.run.workerCodespec?.image = nil
        #expect(
            problems(fixture) == [
                "job.codespec.image: the kubernetes backend runs container images, and this codespec has none",
                "worker.codespec.image: the kubernetes backend runs container images, and this codespec has none",
            ])
        fixture.run.jobCodespec.image = " job:1"
        fixture.run.workerCodespec?.image = "worker:1"
        #expect(problems(fixture) == ["job.codespec.image: the image ' job:1' must not begin or end with white space"])
    }

    @Test func aRunIDTooLongForKubernetesNamesIsRefused() throws {
        var fixture = RenderFixtures.specExample
        fixture.runID = String(repeating: "9", count: 42)  // run-<42>-worker: 53 characters
        let error = try renderError(fixture)
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "runID")
        #expect(
            error.message.contains(
                "the worker StatefulSet name 'run-\(fixture.runID)-worker' 53 characters long; Kubernetes allows at most 52"
            ))

        var jobOnly = RenderFixtures.twoJobReplicas
        jobOnly.runID = String(repeating: "9", count: 54)  // run-<54>-job-1: 64 characters
        #expect(
            problems(jobOnly) == [
                "runID: the run ID '\(jobOnly.runID)' makes the hostname of the last job pod 'run-\(jobOnly.runID)-job-1' 64 characters long; Kubernetes allows at most 63"
            ])
        jobOnly.run.spec.job.replicas = 1
        #expect(problems(jobOnly) == [])

        var replicas = RenderFixtures.specExample
        replicas.runID = String(repeating: "9", count: 41)
        replicas.run.spec.worker?.replicas = 10_000_000_001  // worker-10000000000: 64 characters
        #expect(problems(replicas).count == 1)
        #expect(
            problems(replicas).first?.hasPrefix(
                "runID: the run ID '\(replicas.runID)' makes the hostname of the last worker pod") == true)
    }

    @Test(arguments: ["", "Run42", "run_42", "42-", "4 2"])
    func aRunIDThatCannotNameObjectsIsRefused(_ runID: String) throws {
        var fixture = RenderFixtures.jobOnly
        fixture.runID = runID
        let error = try renderError(fixture)
        #expect(error.location?.keyPath == "runID")
        #expect(error.message.hasPrefix("'\(runID)' cannot name Kubernetes objects"))
    }

    @Test func aNodePoolThatIsNotALabelValueIsRefused() throws {
        var fixture = RenderFixtures.distributed
        fixture.run.spec.job.nodePool = "gpu pool!"
        fixture.run.spec.worker?.nodePool = String(repeating: "p", count: 64)
        let found = problems(fixture)
        #expect(found.count == 2)
        #expect(found.first?.hasPrefix("job.nodePool: 'gpu pool!' is not a Kubernetes node pool name") == true)
        #expect(
            found.last?.hasPrefix(
                "worker.nodePool: '\(String(repeating: "p", count: 64))' is not a Kubernetes node pool name") == true)
    }

    @Test func anIdentityThatIsNotAServiceAccountNameIsRefused() throws {
        var fixture = RenderFixtures.distributed
        fixture.run.jobCodespec.identity = "My_Identity"
        let error = try renderError(fixture)
        #expect(error.code == .invalidSpec)
        #expect(error.location?.keyPath == "job.codespec.identity")
        #expect(error.message.hasPrefix("'My_Identity' is not a Kubernetes service account name"))
        fixture.run.jobCodespec.identity = nil
        fixture.run.workerCodespec?.identity = "-worker"
        #expect(try renderError(fixture).location?.keyPath == "worker.codespec.identity")
    }

    /// TygerKit's own rules are checked again, with key paths from the run's root, and a
    /// problem found twice (inline codespecs are in the run spec too) is reported once.
    @Test func tygerKitRulesAreCheckedAgainWithFullKeyPaths() throws {
        var fixture = RenderFixtures.specExample
        fixture.run.workerCodespec?.endpoints = [Endpoint(name: "rpc", port: 70_000)]
        fixture.run.spec.job.replicas = 0
        #expect(
            problems(fixture) == [
                "job.replicas: replicas is 0; allowed: 1 or more",
                "worker.codespec.endpoints.rpc: port 70000 is out of range; allowed: 1-65535",
            ])
        var inline = RenderFixtures.jobOnly
        inline.run.jobCodespec.env = ["1BAD": "x"]
        inline.run.spec.job.codespec = .inline(inline.run.jobCodespec)
        #expect(problems(inline).count == 1)
        #expect(problems(inline).first?.hasPrefix("job.codespec.env.1BAD:") == true)
    }

    @Test func workersNeedBothATargetAndACodespec() throws {
        var missingCodespec = RenderFixtures.specExample
        missingCodespec.run.workerCodespec = nil
        #expect(
            problems(missingCodespec) == ["worker.codespec: the run has workers, but their codespec was not resolved"])
        var missingTarget = RenderFixtures.specExample
        missingTarget.run.spec.worker = nil
        #expect(problems(missingTarget) == ["worker: a worker codespec was resolved, but the run has no worker target"])
    }

    @Test func optionsThatCannotWorkAreBackendErrors() throws {
        var fixture = RenderFixtures.jobOnly
        fixture.options.namespace = "Research"
        fixture.options.waitImage = ""
        let error = try renderError(fixture)
        #expect(error.code == .backend)
        #expect(error.location == nil)
        #expect(error.message.hasPrefix("the namespace 'Research' is not a Kubernetes namespace name"))
        #expect(error.related.map(\.message) == ["the wait image must not be empty: the job's init container runs it"])
    }
}
