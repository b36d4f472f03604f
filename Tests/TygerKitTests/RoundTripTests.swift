import Foundation
import Testing
@testable import TygerKit

@Suite("Round trips")
struct RoundTripTests {
    @Test("Codespec fixtures: decode, encode, decode", arguments: Fixture.codespecFiles)
    func codespecYAML(file: String) throws {
        let original = try Fixture.codespec(file)
        let yaml = try SpecFile.encode(original)
        let decoded = try SpecFile.decodeCodespec(from: yaml, file: "encoded-\(file)")
        #expect(decoded == original, "\(yaml)")
        // Equality ignores order; the written form keeps the document's endpoint order.
        #expect(decoded.endpoints == original.endpoints)
        #expect(decoded.buffers?.inputs == original.buffers?.inputs)
        #expect(decoded.buffers?.outputs == original.buffers?.outputs)
        // Quantities keep their spelling.
        #expect(decoded.resources?.requests?.cpu?.text == original.resources?.requests?.cpu?.text)
        #expect(decoded.resources?.limits?.cpu?.text == original.resources?.limits?.cpu?.text)
        #expect(decoded.resources?.shm?.text == original.resources?.shm?.text)
        // Writing is stable.
        #expect(try SpecFile.encode(decoded) == yaml)
    }

    @Test("Run fixtures: decode, encode, decode", arguments: Fixture.runFiles)
    func runYAML(file: String) throws {
        let original = try Fixture.run(file)
        let yaml = try SpecFile.encode(original)
        let decoded = try SpecFile.decodeRun(from: yaml, file: "encoded-\(file)")
        #expect(decoded == original, "\(yaml)")
        #expect(try SpecFile.encode(decoded) == yaml)
    }

    @Test("The documented run file writes back to the same fields")
    func specRunText() throws {
        let yaml = try SpecFile.encode(try Fixture.run("run.yaml"))
        #expect(
            yaml == """
                job:
                  codespec: mycodespec/versions/22
                  nodePool: cpunp
                  replicas: 1
                worker:
                  codespec: myworkercodespec
                  nodePool: gpunp
                  replicas: 2
                cluster: mycluster
                timeoutSeconds: 43200

                """
        )
    }

    @Test("Codespec fixtures through JSONEncoder and JSONDecoder", arguments: Fixture.codespecFiles)
    func codespecJSON(file: String) throws {
        let original = try Fixture.codespec(file)
        let data = try JSONEncoder().encode(original)
        let decoded = try JSONDecoder().decode(Codespec.self, from: data)
        #expect(decoded == original)
        #expect(decoded.kind == original.kind)
        // JSON is YAML: the strict decoder reads what JSONEncoder writes.
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(try SpecFile.decodeCodespec(from: text) == original, "\(text)")
    }

    @Test("Run fixtures through JSONEncoder and JSONDecoder", arguments: Fixture.runFiles)
    func runJSON(file: String) throws {
        let original = try Fixture.run(file)
        let data = try JSONEncoder().encode(original)
        let decoded = try JSONDecoder().decode(RunSpec.self, from: data)
        #expect(decoded == original)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(try SpecFile.decodeRun(from: text) == original, "\(text)")
    }

    @Test("Strings that look like other YAML types survive exactly")
    func trickyStrings() throws {
        let tricky = [
            "", "null", "~", "true", "no", "0x10", "010", "1:30", "1e3", "- x", "#comment", "a: b", "'quoted'",
            "\"double\"", "multi\nline", " leading", "trailing ", "😀 ünïcödé", "\ttab", "$(VAR)", "$$(VAR)",
            "{a}",
            "[a]", "*alias", "&anchor", "!tag", "%", "@", "`", "|", ">", "---", "...", "2026-01-02",
        ]
        let codespec = Codespec(
            name: "tricky",
            image: "null",
            command: tricky,
            args: tricky.reversed(),
            workingDir: "~",
            env: Dictionary(uniqueKeysWithValues: tricky.enumerated().map { ("V\($0.offset)", $0.element) }),
            identity: "true"
        )
        let yaml = try SpecFile.encode(codespec)
        let decoded = try SpecFile.decodeCodespec(from: yaml)
        #expect(decoded == codespec, "\(yaml)")
        #expect(decoded.command == tricky)
        #expect(decoded.image == "null")
        #expect(decoded.workingDir == "~")
        #expect(decoded.identity == "true")
    }

    @Test(
        "Quantities keep their spelling through YAML and JSON", arguments: ["1", "500m", "0.5", "4Gi", "1e3", "1.5Ki"])
    func quantitySpelling(text: String) throws {
        let quantity = try Quantity(parsing: text)
        let codespec = Codespec(name: "q", resources: CodespecResources(limits: ResourceAmounts(cpu: quantity)))
        let yaml = try SpecFile.decodeCodespec(from: SpecFile.encode(codespec))
        #expect(yaml.resources?.limits?.cpu?.text == text)
        let json = try JSONDecoder().decode(Codespec.self, from: JSONEncoder().encode(codespec))
        #expect(json.resources?.limits?.cpu?.text == text)
    }

    @Test("A stored codespec keeps version and createdAt through YAML")
    func storedFields() throws {
        var codespec = try Fixture.codespec("worker-codespec.yaml")
        codespec.version = 12
        codespec.createdAt = Date(timeIntervalSince1970: 1_767_323_045)
        let decoded = try SpecFile.decodeCodespec(from: SpecFile.encode(codespec))
        #expect(decoded.version == 12)
        #expect(decoded.createdAt == codespec.createdAt)

        let json = try JSONDecoder().decode(Codespec.self, from: JSONEncoder().encode(codespec))
        #expect(json.version == 12)
        #expect(json.createdAt == codespec.createdAt)
    }

    @Test("Empty parts are left out when written")
    func emptyPartsOmitted() throws {
        let codespec = Codespec(
            name: "x",
            resources: CodespecResources(requests: ResourceAmounts()),
            buffers: BufferParameters()
        )
        let yaml = try SpecFile.encode(codespec)
        #expect(yaml == "kind: job\nname: x\n")
        #expect(try SpecFile.decodeCodespec(from: yaml) == codespec)
    }

    @Test("Resolved run specs round-trip through JSON")
    func resolvedJSON() async throws {
        let store = InMemoryCodespecStore()
        let resolved = try await store.resolve(try Fixture.run("run-inline.yaml"))
        let decoded = try JSONDecoder().decode(ResolvedRunSpec.self, from: JSONEncoder().encode(resolved))
        #expect(decoded == resolved)
    }
}
