/// Where a value sits in a spec: the file, the line and column, and the key path.
///
/// The description reads the way compilers print locations, so editors can jump to it:
/// `run.yaml:12:7: worker.codespec.endpoints.rpc`.
public struct SpecLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file name or other source label (`<stdin>`, `--endpoint`), when known.
    public var file: String?
    /// The 1-based line, when known.
    public var line: Int?
    /// The 1-based column, counted in Unicode scalars, when known.
    public var column: Int?
    /// The dotted key path of the value, with list indexes in brackets: `job.codespec.args[2]`.
    public var keyPath: String

    /// Creates a location.
    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, keyPath: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
    }

    public var description: String {
        var prefix = file ?? ""
        if let line {
            prefix += prefix.isEmpty ? "line \(line)" : ":\(line)"
            if let column { prefix += ":\(column)" }
        }
        switch (prefix.isEmpty, keyPath.isEmpty) {
        case (true, true): return "<root>"
        case (true, false): return keyPath
        case (false, true): return prefix
        case (false, false): return "\(prefix): \(keyPath)"
        }
    }
}
