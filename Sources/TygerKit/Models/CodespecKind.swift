/// Whether a codespec describes a job, which runs until it exits, or a worker, which serves a job.
public enum CodespecKind: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Code that runs to completion and decides the run's status.
    case job
    /// Code that serves the job of a distributed run on named endpoints.
    case worker

    /// Reads a kind case-insensitively (`Job`, `WORKER`), as spec files and flags allow.
    public init?(caseInsensitive text: String) {
        self.init(rawValue: text.lowercased())
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let kind = CodespecKind(caseInsensitive: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a codespec kind; allowed: job, worker"
            )
        }
        self = kind
    }

    public var description: String { rawValue }
}
