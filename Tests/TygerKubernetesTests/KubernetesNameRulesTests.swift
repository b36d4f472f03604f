import Testing
import TygerKit
import TygerKubernetes

/// The API server's name rules, and the rules the JSON Schemas cannot express, checked on
/// every rendered run.
@Suite struct KubernetesNameRulesTests {
    @Test func dns1123Labels() {
        for name in ["a", "run-42-worker", "0abc", String(repeating: "a", count: 63)] {
            #expect(KubernetesNameRules.isDNS1123Label(name), "\(name)")
        }
        for name in ["", "Run-42", "run_42", "-run", "run-", "run.42", String(repeating: "a", count: 64)] {
            #expect(!KubernetesNameRules.isDNS1123Label(name), "\(name)")
        }
    }

    @Test func dns1123Subdomains() {
        for name in ["trainer", "worker.identity", "a.b-c.d", String(repeating: "a", count: 253)] {
            #expect(KubernetesNameRules.isDNS1123Subdomain(name), "\(name)")
        }
        for name in ["", "My_Identity", ".a", "a.", "a..b", "a.-b", String(repeating: "a", count: 254)] {
            #expect(!KubernetesNameRules.isDNS1123Subdomain(name), "\(name)")
        }
    }

    @Test func dns1035LabelsStartWithALetter() {
        #expect(KubernetesNameRules.isDNS1035Label("run-42-worker"))
        #expect(!KubernetesNameRules.isDNS1035Label("42-worker"))
        #expect(!KubernetesNameRules.isDNS1035Label(""))
    }

    @Test func labelValuesAndKeys() {
        for value in ["", "gpunp", "cpu.pool_2", "A-1", String(repeating: "a", count: 63)] {
            #expect(KubernetesNameRules.isLabelValue(value), "\(value)")
        }
        for value in ["-a", "a-", "_a", "gpu pool", "pool/1", String(repeating: "a", count: 64)] {
            #expect(!KubernetesNameRules.isLabelValue(value), "\(value)")
        }
        for key in ["agentpool", "tyger.dev/run", "kubernetes.azure.com/agentpool", "app.kubernetes.io/managed-by"] {
            #expect(KubernetesNameRules.isLabelKey(key), "\(key)")
        }
        for key in ["", "/run", "Tyger.dev/run", "a/b/c", "tyger.dev/", "tyger.dev/-run"] {
            #expect(!KubernetesNameRules.isLabelKey(key), "\(key)")
        }
    }

    @Test func ianaServiceNames() {
        for name in ["gadgetron", "http", "port-7000", "a1", "abcdefghijklmno"] {
            #expect(KubernetesNameRules.isIANAServiceName(name), "\(name)")
        }
        for name in ["", "rpc_control", "Http", "1234", "-http", "http-", "ht--tp", "abcdefghijklmnop"] {
            #expect(!KubernetesNameRules.isIANAServiceName(name), "\(name)")
        }
    }

    @Test func environmentVariableNames() {
        for name in ["TYGER_RUN_ID", "a.b-c", "_x", "-x"] {
            #expect(KubernetesNameRules.isEnvironmentVariableName(name), "\(name)")
        }
        for name in ["", "1X", "A B", "A=B", "É"] {
            #expect(!KubernetesNameRules.isEnvironmentVariableName(name), "\(name)")
        }
    }

    /// Names and lengths, selectors, restart policies, ports, environment names and
    /// container names of every rendered run follow the API server's rules.
    @Test(arguments: RenderFixtures.all)
    func everyRenderedRunFollowsTheRulesTheSchemasCannotCheck(_ fixture: RenderCase) throws {
        let rendered = try fixture.render()
        #expect(KubernetesObjectRules.problems(in: rendered) == [])
        #expect(KubernetesObjectRules.problems(in: rendered.withOwner(jobUID: "u")) == [])
    }

    /// The largest run ID there can be (19 digits) still names valid objects and hosts.
    @Test func theLongestRunIDsStillMakeValidNames() throws {
        var workers = RenderFixtures.specExample
        workers.runID = runID(Int.max)
        let example = workers.run
        workers.run = try example.changing(spec: { $0.worker?.replicas = 1_000 })
        #expect(KubernetesObjectRules.problems(in: try workers.render()) == [])
        var jobOnly = RenderFixtures.twoJobReplicas
        jobOnly.runID = runID(Int.max)
        #expect(KubernetesObjectRules.problems(in: try jobOnly.render()) == [])
    }

    /// The checker above must be able to fail: each broken rule is reported.
    @Test func theRuleCheckerCatchesBrokenObjects() throws {
        var rendered = try RenderFixtures.distributed.render()
        rendered.job.metadata.name = "Run_42"
        rendered.job.spec?.template.spec?.restartPolicy = "Always"
        rendered.job.spec?.template.spec?.containers[0].env?.append(EnvVar(name: "1BAD", value: "x"))
        rendered.job.spec?.template.spec?.containers[0].env?.append(EnvVar(name: "ALPHA", value: "again"))
        rendered.workerStatefulSet?.spec?.template.spec?.restartPolicy = "Never"
        rendered.workerStatefulSet?.spec?.selector.matchLabels?["tyger.dev/role"] = "job"
        rendered.workerStatefulSet?.spec?.template.spec?.containers[0].ports?[0].containerPort = 70_000
        rendered.workerStatefulSet?.spec?.template.spec?.containers[0].ports?[1].name = "rpc_control"
        rendered.workerService?.spec?.ports?[1].name = nil
        let problems = KubernetesObjectRules.problems(in: rendered)
        let expected = [
            "Job: the name Run_42 is not a DNS-1123 label",
            "Job: restartPolicy is Always; a run's job must not restart",
            "Job container main: env name 1BAD is not valid",
            "Job container main: env names are not unique",
            "StatefulSet: selector tyger.dev/role=job does not match the template labels",
            "StatefulSet: restartPolicy is Never; only Always is allowed",
            "StatefulSet container worker: port 70000 out of range",
            "StatefulSet container worker: port name rpc_control is not an IANA service name",
            "StatefulSet container worker: the readiness probe checks port 9002, which the container does not declare",
            "Service: with several ports, every port needs a name",
            "Service: selector differs from the StatefulSet's",
        ]
        for message in expected {
            #expect(problems.contains { $0.hasPrefix(message) }, "no problem '\(message)' in \(problems)")
        }
    }
}
