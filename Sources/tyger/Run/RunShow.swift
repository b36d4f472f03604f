import ArgumentParser
import Foundation
import TygerKit

struct RunShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a run.", aliases: ["get"])

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let run = try await backend.withClient { try await $0.run(id: RunID(parsing: id)) }
        print(try output.output.render(run), terminator: "")
    }
}

/// `--since`, `--status`, `--tag` and `--limit` as one ``RunQuery``, which each backend
/// applies where its runs are.
struct RunQueryOptions: ParsableArguments {
    @Option(
        name: [.short, .long],
        help: "Only runs created after this time: RFC 3339, a date, yesterday, or '2 hours ago'.")
    var since: String?

    @Option(help: "Only runs with this tag, KEY=VALUE; repeatable (all must match).")
    var tag: [String] = []

    func query(statuses: Set<RunStatus> = [], limit: Int? = nil) throws -> RunQuery {
        try RunQuery(
            since: try since.map { try TimeExpression.parse($0) }, statuses: statuses,
            tags: try PflagValues.stringToString(tag, flag: "--tag"), limit: limit)
    }
}

struct RunList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first.")

    @OptionGroup var filter: RunQueryOptions

    @Option(help: "Only runs in this status (case-insensitive); repeatable (any may match).")
    var status: [String] = []

    @Option(name: [.short, .long], parsing: .unconditional, help: "At most this many runs (default 1000).", transform: WholeNumber.parse)
    var limit: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    /// Tyger's CLI lists at most this many runs unless told otherwise, and says so.
    static let defaultLimit = 1000

    func run() async throws {
        let statuses = try Set(status.map(Self.status))
        let query = try filter.query(statuses: statuses, limit: (limit ?? Self.defaultLimit) + (limit == nil ? 1 : 0))
        var listing = try await Listing.collect { try await backend.withClient { try await $0.runs(query) } }
        let truncated = limit == nil && listing.items.count > Self.defaultLimit
        if truncated { listing.items.removeLast(listing.items.count - Self.defaultLimit) }
        print(try output.output.render(listing.items), terminator: "")
        if truncated {
            Output.error("Warning: the output was truncated. Specify the --limit parameter to increase the number of elements.")
        }
        try listing.reportProblems()
    }

    private static func status(_ text: String) throws -> RunStatus {
        guard let status = RunStatus.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw CommandLineError(
                "invalid argument \"\(text)\" for \"--status\" flag: must be "
                    + RunStatus.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return status
    }
}

struct RunCounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counts", abstract: "Print how many runs there are in each status.", aliases: ["count"])

    @OptionGroup var filter: RunQueryOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let query = try filter.query()
        let counts = try await backend.withClient { try await $0.counts(query) }
        // Tyger's keys: the status in camel case, only statuses that have runs, sorted.
        let lines = counts.filter { $0.value > 0 }
            .map { (key: $0.key.rawValue.prefix(1).lowercased() + $0.key.rawValue.dropFirst(), value: $0.value) }
            .sorted { $0.key < $1.key }
            .map { "  \"\($0.key)\": \($0.value)" }
        Output.line(lines.isEmpty ? "{}" : "{\n" + lines.joined(separator: ",\n") + "\n}")
    }
}

struct RunCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a run.", aliases: ["stop"])

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var backend: BackendOptions

    /// Tyger's words for each outcome; canceling a run that already succeeded or failed is an error.
    func run() async throws {
        let run = try await backend.withClient { try await $0.cancel(id: RunID(parsing: id)) }
        switch run.status {
        case .canceling: Output.line("Cancel issued for job \(run.id)")
        case .canceled: Output.line("Job \(run.id) has been canceled")
        default:
            throw TygerError(
                .backend,
                "unable to cancel job \(run.id) because its status is \(run.status)"
                    + (run.statusReason.map { " (\($0))" } ?? ""))
        }
    }
}

struct RunSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a run's tags.",
        discussion: """
            The --tag values are added to the run's tags (with --clear-tags they replace them). With --etag \
            the change is made only if the run still has that ETag, so two people changing tags at once \
            cannot overwrite each other's change.
            """)

    @Argument(help: "The run ID.")
    var id: String

    @Flag(help: "Replace the run's tags with the --tag values (none: remove every tag).")
    var clearTags = false

    @Option(help: "A tag, KEY=VALUE; repeatable.")
    var tag: [String] = []

    @Option(help: "Change the run only if its eTag is still this.")
    var etag: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let id = try RunID(parsing: id)
        let given = try PflagValues.stringToString(tag, flag: "--tag")
        let run = try await backend.withClient { client in
            if clearTags { return try await client.setTags(of: id, to: given, ifMatch: etag) }
            let current = try await client.run(id: id)
            if let etag, etag != current.eTag { throw Run.staleETag(id, given: etag, current: current.eTag) }
            return try await client.setTags(
                of: id, to: current.tags.merging(given) { _, new in new }, ifMatch: etag.map { _ in current.eTag })
        }
        print(try output.output.render(run), terminator: "")
    }
}
