/// A listing that could read only some of what it lists: the entries it could read, and a
/// problem for each it could not, naming its file. One damaged file does not hide the rest.
///
/// ```swift
/// do {
///     show(try await store.latestCodespecs())
/// } catch let listing as IncompleteListing<Codespec> {
///     show(listing.items)
///     for problem in listing.problems { report(problem) }
/// }
/// ```
public struct IncompleteListing<Item: Sendable>: Error, Sendable, CustomStringConvertible {
    /// What could be read, in the listing's order.
    public var items: [Item]
    /// Why the rest could not be read.
    public var problems: [TygerError]

    /// Creates an incomplete listing.
    public init(items: [Item], problems: [TygerError]) {
        self.items = items
        self.problems = problems
    }

    public var description: String {
        (["\(problems.count) entr\(problems.count == 1 ? "y" : "ies") could not be read:"] + problems.map(\.description))
            .joined(separator: "\n")
    }
}
