import Foundation
import Testing
import TygerKit
import TygerKubernetes

/// Every object the renderer makes is checked against the official Kubernetes JSON Schemas
/// (strict: no unknown fields) of the oldest and newest supported versions.
@Suite struct SchemaValidationTests {
    @Test(arguments: RenderFixtures.all)
    func everyRenderedObjectMatchesTheStrictSchemas(_ fixture: RenderCase) throws {
        let validators = try KubernetesSchemas.validators()
        let rendered = try fixture.render()
        var validated = 0
        for variant in [rendered, rendered.withOwner(jobUID: "0f6c2f1e-8a59-4c1e-9d0b-5b3d3c1f0a42")] {
            for object in variant.all {
                let file = try KubernetesSchemas.file(apiVersion: object.apiVersion, kind: object.kind)
                for (version, validator) in validators {
                    let errors = try validator.errors(encoding: object, schemaFile: file)
                    #expect(
                        errors.isEmpty, "Kubernetes \(version) rejects the \(object.kind) of \(fixture.name): \(errors)"
                    )
                    validated += 1
                }
            }
        }
        #expect(validated == 2 * rendered.all.count * validators.count)
        #expect(validators.map(\.version).contains("1.28") && validators.map(\.version).contains("1.37"))
    }

    @Test func theSchemasGoBackToKubernetes128() throws {
        let versions = try KubernetesSchemas.availableMinorVersions(in: KubernetesSchemas.root())
        let oldest = try #require(versions.first)
        #expect(oldest <= 28, "the oldest strict schema is 1.\(oldest); 1.28 or older is needed")
    }

    /// A validator that accepts everything would make every test above pass; this one proves
    /// it rejects an unknown field, wrong types (a boolean is not an integer), a missing
    /// required field, a value outside an enum and a value matching no `oneOf` branch.
    @Test func theValidatorRejectsBrokenObjects() throws {
        let validators = try KubernetesSchemas.validators()
        let rendered = try RenderFixtures.distributed.render()
        var job = try #require(try jsonObject(rendered.job) as? [String: Any])
        var spec = try #require(job["spec"] as? [String: Any])
        var template = try #require(spec["template"] as? [String: Any])
        var pod = try #require(template["spec"] as? [String: Any])
        var containers = try #require(pod["containers"] as? [[String: Any]])
        containers[0]["imagePullPolicyy"] = "Always"  // unknown field
        containers[0].removeValue(forKey: "name")  // required field
        containers[0]["workingDir"] = 42  // wrong type
        pod["containers"] = containers
        pod["enableServiceLinks"] = "false"  // a string, not a boolean
        template["spec"] = pod
        spec["template"] = template
        spec["parallelism"] = true  // a boolean, not an integer
        spec["backoffLimit"] = 1.5  // a fraction, not an integer
        job["spec"] = spec
        job["kind"] = "CronJob"  // outside the enum

        for (version, validator) in validators {
            let errors = validator.errors(in: job, schemaFile: "job-batch-v1.json")
            let expected = [
                "$.spec.template.spec.containers[0].imagePullPolicyy: unknown field",
                "$.spec.template.spec.containers[0].name: required field is missing",
                "$.spec.template.spec.containers[0].workingDir: integer is not of type string",
                "$.spec.template.spec.enableServiceLinks: string is not of type boolean",
                "$.spec.parallelism: boolean is not of type integer",
                "$.spec.backoffLimit: number is not of type integer",
                "$.kind: CronJob is not one of",
            ]
            for message in expected {
                #expect(errors.contains { $0.hasPrefix(message) }, "\(version): no error '\(message)' in \(errors)")
            }
            #expect(errors.count == expected.count, "\(version): \(errors)")
        }

        let workerService = try #require(rendered.workerService)
        var service = try #require(try jsonObject(workerService) as? [String: Any])
        var serviceSpec = try #require(service["spec"] as? [String: Any])
        var ports = try #require(serviceSpec["ports"] as? [[String: Any]])
        ports[0]["targetPort"] = false  // IntOrString: neither a string nor an integer
        serviceSpec["ports"] = ports
        service["spec"] = serviceSpec
        for (version, validator) in validators {
            let errors = validator.errors(in: service, schemaFile: "service-v1.json")
            #expect(errors.count == 1, "\(version): \(errors)")
            #expect(
                errors.first?.hasPrefix("$.spec.ports[0].targetPort: false matches 0 of the 2 oneOf schemas") == true)
        }
    }

    /// Version gating works both ways: a field that only newer Kubernetes knows fails 1.28.
    @Test func theValidatorKnowsWhichVersionHasWhichField() throws {
        let validators = try KubernetesSchemas.validators()
        var job = try #require(try jsonObject(try RenderFixtures.jobOnly.render().job) as? [String: Any])
        var spec = try #require(job["spec"] as? [String: Any])
        spec["successPolicy"] = ["rules": [["succeededCount": 1]]]  // Kubernetes 1.30 and later
        job["spec"] = spec
        for (version, validator) in validators {
            let errors = validator.errors(in: job, schemaFile: "job-batch-v1.json")
            if version == "1.28" {
                #expect(errors == ["$.spec.successPolicy: unknown field"])
            } else {
                #expect(errors.isEmpty, "\(version): \(errors)")
            }
        }
    }

    /// A keyword the validator does not implement must fail, not pass silently.
    @Test func theValidatorReportsKeywordsItDoesNotKnow() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"$defs": {"port": {"type": "integer", "minimum": 1}}}"#.utf8)
            .write(to: folder.appendingPathComponent("_definitions.json"))
        try Data(#"{"type": "object", "properties": {"port": {"$ref": "/api/_definitions.json#/$defs/port"}}}"#.utf8)
            .write(to: folder.appendingPathComponent("thing.json"))
        let validator = try JSONSchemaValidator(folder: folder, files: ["thing.json"])
        #expect(
            validator.errors(in: ["port": 0], schemaFile: "thing.json")
                == ["$.port: the validator does not support the schema keyword 'minimum' (in _definitions.json)"])
    }

    /// The real `kubernetes-validate` command agrees: it accepts the YAML the renderer writes,
    /// and rejects it once a field is misspelt.
    @Test func theKubernetesValidateCommandAcceptsTheRenderedYAML() async throws {
        let yaml = try RenderFixtures.distributed.render().withOwner(jobUID: "3b0c8a5e-1d5f-4d8e-a5f1-0c2b7e9d4f10")
            .yaml()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("run.yaml")
        let bad = folder.appendingPathComponent("broken.yaml")
        try Data(yaml.utf8).write(to: good)
        #expect(yaml.contains("backoffLimit: 0"))
        try Data(yaml.replacingOccurrences(of: "backoffLimit: 0", with: "backofLimit: 0").utf8).write(to: bad)

        let accepted = try await Command.run("kubernetes-validate", ["--strict", "-k", "1.28", good.path])
        #expect(
            accepted.status == 0,
            "kubernetes-validate rejected the rendered YAML: \(accepted.stdout)\(accepted.stderr); \(KubernetesSchemas.installHint)"
        )
        #expect(
            accepted.stdout.components(separatedBy: "INFO").count - 1 == 3, "one line per object: \(accepted.stdout)")
        let rejected = try await Command.run("kubernetes-validate", ["--strict", "-k", "1.28", bad.path])
        #expect(rejected.status != 0)
        #expect((rejected.stdout + rejected.stderr).contains("backofLimit"), "\(rejected.stdout)\(rejected.stderr)")
    }
}
