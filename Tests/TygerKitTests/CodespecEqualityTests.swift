import Foundation
import Testing
@testable import TygerKit

/// Checks that two codespecs are equal and that `Hashable` agrees.
private func expectSame(_ lhs: Codespec, _ rhs: Codespec, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(lhs == rhs, sourceLocation: sourceLocation)
    #expect(lhs.hashValue == rhs.hashValue, "equal values hash alike", sourceLocation: sourceLocation)
    #expect(Set([lhs, rhs]).count == 1, sourceLocation: sourceLocation)
}

private func expectDifferent(_ lhs: Codespec, _ rhs: Codespec, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(lhs != rhs, sourceLocation: sourceLocation)
    #expect(Set([lhs, rhs]).count == 2, sourceLocation: sourceLocation)
}

private func decode(_ yaml: String) throws -> Codespec {
    try SpecFile.decodeCodespec(from: yaml)
}

@Suite("Codespec equality")
struct CodespecEqualityTests {
    @Test("env order is ignored")
    func envOrder() throws {
        expectSame(
            try decode("name: x\nenv:\n  A: 1\n  B: 2\n  C: 3\n"),
            try decode("name: x\nenv:\n  C: 3\n  A: 1\n  B: 2\n")
        )
        expectDifferent(try decode("name: x\nenv: {A: 1}"), try decode("name: x\nenv: {A: 2}"))
        expectDifferent(try decode("name: x\nenv: {A: 1}"), try decode("name: x\nenv: {a: 1}"))
    }

    @Test("endpoint order is ignored, names and ports are not")
    func endpointOrder() throws {
        let ab = try decode("kind: worker\nendpoints:\n  a: 1\n  b: 2\n")
        let ba = try decode("kind: worker\nendpoints:\n  b: 2\n  a: 1\n")
        #expect(ab.endpoints != ba.endpoints, "document order is kept in the model")
        expectSame(ab, ba)
        expectDifferent(ab, try decode("kind: worker\nendpoints:\n  a: 1\n  b: 3\n"))
        expectDifferent(ab, try decode("kind: worker\nendpoints:\n  a: 1\n  c: 2\n"))
        expectDifferent(ab, try decode("kind: worker\nendpoints:\n  a: 1\n"))
    }

    @Test("buffer order is ignored within inputs and within outputs, but the lists are not interchangeable")
    func bufferOrder() throws {
        expectSame(
            try decode("buffers: {inputs: [a, b], outputs: [c, d]}"),
            try decode("buffers: {inputs: [b, a], outputs: [d, c]}")
        )
        expectDifferent(
            try decode("buffers: {inputs: [a], outputs: [b]}"),
            try decode("buffers: {inputs: [b], outputs: [a]}")
        )
        expectDifferent(try decode("buffers: {inputs: [a]}"), try decode("buffers: {inputs: [a, b]}"))
    }

    @Test("command and args keep their order")
    func commandAndArgsOrder() throws {
        expectDifferent(try decode("command: [a, b]"), try decode("command: [b, a]"))
        expectDifferent(try decode("args: [--x, '1']"), try decode("args: ['1', --x]"))
        expectDifferent(try decode("command: [a, b]"), try decode("command: [a]\nargs: [b]"))
        expectSame(try decode("command: [a, b]\nargs: [c]"), try decode("args: [c]\ncommand: [a, b]"))
    }

    @Test(
        "Quantities compare by value",
        arguments: [
            ("requests: {cpu: 1}", "requests: {cpu: 1000m}", true),
            ("requests: {cpu: 0.5}", "requests: {cpu: 500m}", true),
            ("limits: {memory: 1Gi}", "limits: {memory: 1024Mi}", true),
            ("limits: {memory: 1G}", "limits: {memory: 1000M}", true),
            ("limits: {memory: 1G}", "limits: {memory: 1Gi}", false),
            ("gpu: 1", "gpu: 1000m", true),
            ("shm: 1Ki", "shm: 1024", true),
            ("requests: {cpu: 1}", "limits: {cpu: 1}", false),
            ("requests: {cpu: 1}", "requests: {cpu: 2}", false),
        ])
    func quantitiesByValue(lhs: String, rhs: String, equal: Bool) throws {
        let left = try decode("name: x\nresources: {\(lhs)}\n")
        let right = try decode("name: x\nresources: {\(rhs)}\n")
        if equal {
            expectSame(left, right)
        } else {
            expectDifferent(left, right)
        }
    }

    @Test(
        "An empty list or map equals an absent one",
        arguments: [
            "command: []", "args: []", "env: {}", "endpoints: {}", "buffers: {}", "buffers: {inputs: [], outputs: []}",
            "resources: {}", "resources: {requests: {}}", "resources: {requests: {}, limits: {}}", "command: ~",
            "env: ~", "buffers: ~", "resources: ~",
        ])
    func emptyEqualsAbsent(field: String) throws {
        expectSame(try decode("name: x\n\(field)\n"), try decode("name: x\n"))
        expectSame(try decode("name: x\n\(field)\n"), Codespec(name: "x"))
    }

    @Test("Empty values built in code equal absent ones")
    func emptyInCode() {
        expectSame(
            Codespec(
                name: "x", command: [], env: [:],
                resources: CodespecResources(requests: ResourceAmounts(), limits: ResourceAmounts()),
                buffers: BufferParameters(), endpoints: []
            ),
            Codespec(name: "x")
        )
    }

    @Test("version and createdAt are ignored")
    func storeFieldsIgnored() {
        let plain = Codespec(name: "x", image: "i")
        var stored = plain
        stored.version = 7
        stored.createdAt = Date(timeIntervalSince1970: 1_000)
        expectSame(plain, stored)
        #expect(stored.content.version == nil && stored.content.createdAt == nil)
        #expect(stored.content == plain)
    }

    @Test(
        "Every content field counts",
        arguments: [
            "kind: worker", "name: y", "image: other", "command: [a]", "args: [a]", "workingDir: /w", "env: {A: b}",
            "identity: id", "resources: {gpu: 1}", "maxReplicas: 2", "buffers: {inputs: [a]}",
        ])
    func contentFieldsCount(field: String) throws {
        let base = try decode("name: x\n")
        let changed = try decode("name: x\n\(field)\n".replacingOccurrences(of: "name: x\nname: y", with: "name: y"))
        expectDifferent(base, changed)
    }

    @Test("Hashable agrees with == across a set of variants")
    func hashableAgrees() throws {
        let variants = [
            try decode("name: x\nenv: {A: 1, B: 2}\nresources: {requests: {cpu: 1}}\nbuffers: {inputs: [a, b]}"),
            try decode("name: x\nbuffers: {inputs: [b, a]}\nresources: {requests: {cpu: 1000m}}\nenv: {B: 2, A: 1}"),
            try decode(
                "{name: x, env: {B: '2', A: '1'}, resources: {requests: {cpu: '1'}, limits: {}},"
                    + " buffers: {inputs: [b, a], outputs: []}}"
            ),
        ]
        #expect(Set(variants).count == 1)
        let distinct = [
            Codespec(name: "x"), Codespec(name: "x", command: ["a", "b"]), Codespec(name: "x", command: ["b", "a"]),
            Codespec(kind: .worker, name: "x"), Codespec(name: "x", maxReplicas: 1),
        ]
        #expect(Set(distinct).count == distinct.count)
        #expect(Set(variants + distinct).count == distinct.count + 1)
    }

    @Test("Resources and buffers are Hashable by the same rules")
    func partsHashable() throws {
        #expect(
            Set([CodespecResources(), CodespecResources(requests: ResourceAmounts(), limits: ResourceAmounts())]).count
                == 1
        )
        #expect(Set([BufferParameters(inputs: ["a", "b"]), BufferParameters(inputs: ["b", "a"])]).count == 1)
        let one = try Quantity(parsing: "1")
        let thousandMilli = try Quantity(parsing: "1000m")
        #expect(
            Set([CodespecResources(gpu: one), CodespecResources(gpu: thousandMilli)]).count == 1
        )
    }
}
