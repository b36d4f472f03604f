import ArgumentParser
import TygerKit

/// What a list command prints: everything that could be read, then, on standard error, each
/// entry that could not (with its file), and a failing exit status when there was one.
struct Listing<Item: Sendable> {
    var items: [Item]
    var problems: [TygerError]

    static func collect(_ list: () async throws -> [Item]) async throws -> Listing {
        do {
            return Listing(items: try await list(), problems: [])
        } catch let incomplete as IncompleteListing<Item> {
            return Listing(items: incomplete.items, problems: incomplete.problems)
        }
    }

    func reportProblems() throws {
        guard !problems.isEmpty else { return }
        for problem in problems { Output.error("Error: \(problem)") }
        throw ExitCode(1)
    }
}
