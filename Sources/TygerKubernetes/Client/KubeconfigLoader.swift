public import Foundation
public import TygerKit
import Yams

extension KubernetesConfiguration {
    /// Loads the configuration of one context of a kubeconfig, as kubectl would.
    ///
    /// - Parameters:
    ///   - path: the kubeconfig file. When `nil`, `KUBECONFIG` (a colon-separated list of
    ///     files, merged as kubectl merges them: the first file that sets a cluster, user or
    ///     context name, or `current-context`, wins; missing files are skipped) or else
    ///     `~/.kube/config`.
    ///   - context: the context to use; `nil` for the kubeconfig's `current-context`.
    ///   - namespace: overrides the context's namespace; without either, `default`.
    ///   - environment: where `KUBECONFIG` and `HOME` are read from.
    ///
    /// Supported: `server`, `certificate-authority(-data)`, `insecure-skip-tls-verify`,
    /// `tls-server-name`, `token`, `tokenFile`, `client-certificate(-data)`,
    /// `client-key(-data)`. Relative file paths are resolved against the folder of the
    /// kubeconfig that holds them. Unknown fields are ignored (it is kubectl's format).
    ///
    /// TLS verification is off only for a cluster that says `insecure-skip-tls-verify: true`
    /// (or `True`, `TRUE`), unquoted, and has no certificate authority. Any other spelling
    /// (`yes`, `1`, `on`, `"true"`) is an error rather than a guess. Namespaces (the context's
    /// or `namespace`) must be DNS-1123 labels, and `server` must not carry a user or password.
    ///
    /// - Throws: ``TygerError`` with code `.backend`, naming the file, the context, cluster or
    ///   user, and the field: for a missing file or context, `exec` or `auth-provider` users,
    ///   `proxy-url`, a CA together with `insecure-skip-tls-verify`, or bad certificate data.
    ///   Never the content of a token, key or certificate.
    public static func fromKubeconfig(
        path: String? = nil,
        context: String? = nil,
        namespace: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(TygerError) -> KubernetesConfiguration {
        var loader = KubeconfigLoader()
        try loader.loadFiles(explicitPath: path, environment: environment)
        return try loader.configuration(context: context, namespace: namespace)
    }
}

/// Reads and merges kubeconfig files and resolves one context.
///
/// It walks Yams nodes instead of decoding a `Codable` model because merging is per named
/// entry and per file (relative paths belong to the file that named them), and because
/// unknown fields must be ignored while known ones are type-checked with precise messages.
struct KubeconfigLoader {
    /// One named cluster, user or context, and the file it came from.
    struct Entry {
        var fields: [String: Node]
        var file: String
        var directory: URL { URL(fileURLWithPath: file).deletingLastPathComponent() }
    }

    private(set) var files: [String] = []
    private(set) var clusters: [String: Entry] = [:]
    private(set) var users: [String: Entry] = [:]
    private(set) var contexts: [String: Entry] = [:]
    private(set) var currentContext: String?
    private var currentContextFile: String?

    /// Which files are read: the explicit path, else `KUBECONFIG`, else `~/.kube/config`.
    mutating func loadFiles(explicitPath: String?, environment: [String: String]) throws(TygerError) {
        if let explicitPath {
            try loadFile(explicitPath)
            return
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            let paths = list.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
                .filter { seen.insert($0).inserted }
            // kubectl skips list entries that do not exist, so one KUBECONFIG works on
            // machines that have only some of the files.
            for path in paths where FileManager.default.fileExists(atPath: path) {
                try loadFile(path)
            }
            if files.isEmpty {
                throw TygerError(
                    .backend, "None of the kubeconfig files in KUBECONFIG exists: \(paths.joined(separator: ", "))")
            }
            return
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let path = URL(fileURLWithPath: home).appendingPathComponent(".kube/config").path
        if !FileManager.default.fileExists(atPath: path) {
            throw TygerError(
                .backend,
                "No kubeconfig found: \(path) does not exist and KUBECONFIG is not set; set KUBECONFIG or pass a kubeconfig path"
            )
        }
        try loadFile(path)
    }

    private mutating func loadFile(_ path: String) throws(TygerError) {
        let data = try TLSMaterial.readFile(path, what: "The kubeconfig")
        let text = String(decoding: data, as: UTF8.self)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            // Yams' message quotes the offending line, which may hold a token: keep only where.
            throw TygerError(.backend, "The kubeconfig \(path) is not valid YAML\(Self.yamlLocation(error))")
        }
        files.append(path)
        guard let root else { return }  // an empty file sets nothing
        guard let mapping = root.mapping else {
            throw TygerError(.backend, "The kubeconfig \(path) is not a mapping of kubeconfig fields")
        }
        let top = Self.dictionary(mapping)

        if let current = top["current-context"] {
            let name = try Self.string(current, field: "current-context", place: path)
            if currentContext == nil, !name.isEmpty {
                currentContext = name
                currentContextFile = path
            }
        }
        try mergeNamedList(top["clusters"], key: "cluster", file: path, into: &clusters)
        try mergeNamedList(top["users"], key: "user", file: path, into: &users)
        try mergeNamedList(top["contexts"], key: "context", file: path, into: &contexts)
    }

    /// Adds the entries of `clusters`, `users` or `contexts`; a name already seen in an
    /// earlier file keeps its earlier entry, as kubectl's merge does.
    private func mergeNamedList(_ node: Node?, key: String, file: String, into entries: inout [String: Entry])
        throws(TygerError)
    {
        guard let node else { return }
        guard let sequence = node.sequence else {
            throw TygerError(.backend, "The kubeconfig \(file): field '\(key)s' must be a list")
        }
        for (index, item) in sequence.enumerated() {
            guard let mapping = item.mapping else {
                throw TygerError(
                    .backend, "The kubeconfig \(file): \(key)s[\(index)] must be a mapping with 'name' and '\(key)'")
            }
            let fields = Self.dictionary(mapping)
            guard let nameNode = fields["name"] else {
                throw TygerError(.backend, "The kubeconfig \(file): \(key)s[\(index)] has no 'name'")
            }
            let name = try Self.string(nameNode, field: "name", place: "\(file): \(key)s[\(index)]")
            if entries[name] != nil { continue }
            var body: [String: Node] = [:]
            if let bodyNode = fields[key] {
                guard let bodyMapping = bodyNode.mapping else {
                    throw TygerError(
                        .backend, "The kubeconfig \(file): \(key) '\(name)': field '\(key)' must be a mapping")
                }
                body = Self.dictionary(bodyMapping)
            }
            entries[name] = Entry(fields: body, file: file)
        }
    }

    // MARK: Resolving a context

    func configuration(context requested: String?, namespace: String?) throws(TygerError) -> KubernetesConfiguration {
        let filesText = files.joined(separator: ", ")
        guard let contextName = requested ?? currentContext else {
            throw TygerError(
                .backend,
                "The kubeconfig \(filesText) sets no current-context; choose one of the contexts \(Self.list(contexts.keys))"
            )
        }
        guard let context = contexts[contextName] else {
            let origin = requested == nil ? " (the current-context of \(currentContextFile ?? filesText))" : ""
            throw TygerError(
                .backend,
                "The context '\(contextName)'\(origin) was not found in the kubeconfig \(filesText); available contexts: \(Self.list(contexts.keys))"
            )
        }
        let contextPlace = "The kubeconfig \(context.file): context '\(contextName)'"

        let clusterName =
            try context.fields["cluster"].map { node throws(TygerError) in
                try Self.string(node, field: "cluster", place: contextPlace)
            } ?? ""
        guard !clusterName.isEmpty else {
            throw TygerError(.backend, "\(contextPlace) names no cluster")
        }
        guard let cluster = clusters[clusterName] else {
            throw TygerError(
                .backend,
                "\(contextPlace) refers to the cluster '\(clusterName)', which is not in the kubeconfig \(filesText)")
        }
        let userName =
            try context.fields["user"].map { node throws(TygerError) in
                try Self.string(node, field: "user", place: contextPlace)
            } ?? ""
        var user: Entry?
        if !userName.isEmpty {
            guard let found = users[userName] else {
                throw TygerError(
                    .backend,
                    "\(contextPlace) refers to the user '\(userName)', which is not in the kubeconfig \(filesText)")
            }
            user = found
        }
        let contextNamespace = try context.fields["namespace"].map { node throws(TygerError) in
            try Self.string(node, field: "namespace", place: contextPlace)
        }

        var configuration = try clusterConfiguration(cluster, name: clusterName)
        if let user {
            configuration.credentials = try credentials(user, name: userName)
        }
        // Namespaces go into every request path: check them here, where the message can say
        // which field or argument held the bad one.
        if let namespace, !namespace.isEmpty {
            try RequestNames.checkNamespace(namespace, place: "The namespace given for the kubeconfig \(filesText)")
            configuration.namespace = namespace
        } else if let contextNamespace, !contextNamespace.isEmpty {
            try RequestNames.checkNamespace(contextNamespace, place: "\(contextPlace): field 'namespace'")
            configuration.namespace = contextNamespace
        }
        configuration.source = "kubeconfig \(context.file), context '\(contextName)'"
        return configuration
    }

    private func clusterConfiguration(_ cluster: Entry, name: String) throws(TygerError) -> KubernetesConfiguration {
        let place = "The kubeconfig \(cluster.file): cluster '\(name)'"
        let fields = cluster.fields

        guard let serverText = try optionalString(fields, "server", place: place), !serverText.isEmpty else {
            throw TygerError(.backend, "\(place) has no 'server'")
        }
        var trimmed = serverText
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        // A URL with a user name or password carries a credential: refuse it without quoting it.
        let parsed = URL(string: trimmed)
        if parsed.map({ $0.user != nil || $0.password != nil }) ?? serverText.contains("@") {
            throw TygerError(
                .backend,
                "\(place): 'server' contains a user name or password, which is not supported; give only https://host:port and put credentials in the user"
            )
        }
        guard let server = parsed, let scheme = server.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = server.host, !host.isEmpty
        else {
            throw TygerError(.backend, "\(place): 'server' is '\(serverText)', not an https:// or http:// URL")
        }
        if let proxy = try optionalString(fields, "proxy-url", place: place), !proxy.isEmpty {
            throw TygerError(
                .backend,
                "\(place): 'proxy-url' is not supported; reach the API server directly or through a tunnel such as kubectl proxy"
            )
        }

        var ca: Data?
        if let data = try optionalString(fields, "certificate-authority-data", place: place), !data.isEmpty {
            let decoded = try TLSMaterial.decodeBase64(data, what: "\(place): 'certificate-authority-data'")
            try TLSMaterial.validateCertificates(decoded, what: "\(place): 'certificate-authority-data'")
            ca = decoded
        } else if let file = try optionalString(fields, "certificate-authority", place: place), !file.isEmpty {
            let path = resolve(file, against: cluster)
            let contents = try TLSMaterial.readFile(path, what: "\(place): 'certificate-authority' file")
            try TLSMaterial.validateCertificates(contents, what: "\(place): 'certificate-authority' file \(path)")
            ca = contents
        }

        let insecure =
            try Self.strictBoolean(
                fields["insecure-skip-tls-verify"], field: "insecure-skip-tls-verify", place: place) ?? false
        if insecure, ca != nil {
            // kubectl refuses this too: it is unclear whether the user meant to verify.
            throw TygerError(
                .backend,
                "\(place) sets both insecure-skip-tls-verify and a certificate authority; specifying a root certificates file with the insecure flag is not allowed, remove one of them"
            )
        }
        let tlsServerName = try optionalString(fields, "tls-server-name", place: place).flatMap {
            $0.isEmpty ? nil : $0
        }

        return KubernetesConfiguration(
            server: server,
            certificateAuthority: ca,
            tlsServerName: tlsServerName,
            insecureSkipTLSVerify: insecure
        )
    }

    private func credentials(_ user: Entry, name: String) throws(TygerError) -> KubernetesCredentials {
        let place = "The kubeconfig \(user.file): user '\(name)'"
        let fields = user.fields

        for (field, what) in [("exec", "an exec credential plugin"), ("auth-provider", "an auth-provider plugin")]
        where fields[field] != nil {
            throw TygerError(
                .backend,
                "\(place) uses \(what) ('\(field)'), which is not supported; use a token, a tokenFile or a client certificate"
            )
        }
        for field in ["username", "password"] where !(try optionalString(fields, field, place: place) ?? "").isEmpty {
            throw TygerError(
                .backend,
                "\(place): basic authentication ('\(field)') is not supported; use a token, a tokenFile or a client certificate"
            )
        }
        // Silently dropping impersonation would act with the caller's own, usually larger, rights.
        for field in ["as", "as-uid", "as-groups", "as-user-extra"] where fields[field] != nil {
            throw TygerError(.backend, "\(place): impersonation ('\(field)') is not supported")
        }

        var credentials = KubernetesCredentials()
        if let token = try optionalString(fields, "token", place: place), !token.isEmpty {
            // kubectl prefers an inline token over tokenFile.
            credentials.bearerToken = .inline(token.trimmingCharacters(in: .whitespacesAndNewlines))
        } else if let file = try optionalString(fields, "tokenFile", place: place), !file.isEmpty {
            let path = resolve(file, against: user)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TygerError(.backend, "\(place): the 'tokenFile' \(path) does not exist or cannot be read")
            }
            credentials.bearerToken = .file(path)
        }

        let certificate = try pem(
            fields, dataField: "client-certificate-data", fileField: "client-certificate", user: user, place: place)
        let key = try pem(fields, dataField: "client-key-data", fileField: "client-key", user: user, place: place)
        switch (certificate, key) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            try TLSMaterial.validateCertificates(certificate.data, what: "\(place): \(certificate.origin)")
            try TLSMaterial.validatePrivateKey(key.data, what: "\(place): \(key.origin)")
            credentials.clientCertificate = .init(certificatePEM: certificate.data, privateKeyPEM: key.data)
        case (_?, nil):
            throw TygerError(.backend, "\(place) has a client certificate but no 'client-key' or 'client-key-data'")
        case (nil, _?):
            throw TygerError(
                .backend, "\(place) has a client key but no 'client-certificate' or 'client-certificate-data'")
        }
        return credentials
    }

    /// A PEM field given inline (`*-data`, base64, which wins as in kubectl) or as a file.
    private func pem(_ fields: [String: Node], dataField: String, fileField: String, user: Entry, place: String)
        throws(TygerError) -> (data: Data, origin: String)?
    {
        if let text = try optionalString(fields, dataField, place: place), !text.isEmpty {
            return (try TLSMaterial.decodeBase64(text, what: "\(place): '\(dataField)'"), "'\(dataField)'")
        }
        if let file = try optionalString(fields, fileField, place: place), !file.isEmpty {
            let path = resolve(file, against: user)
            return (
                try TLSMaterial.readFile(path, what: "\(place): '\(fileField)' file"), "'\(fileField)' file \(path)"
            )
        }
        return nil
    }

    /// kubectl resolves relative paths against the folder of the kubeconfig that holds them.
    private func resolve(_ path: String, against entry: Entry) -> String {
        if path.hasPrefix("/") { return path }
        return entry.directory.appendingPathComponent(path).standardizedFileURL.path
    }

    // MARK: Node helpers

    private func optionalString(_ fields: [String: Node], _ field: String, place: String) throws(TygerError) -> String?
    {
        guard let node = fields[field] else { return nil }
        return try Self.string(node, field: field, place: place)
    }

    private static func string(_ node: Node, field: String, place: String) throws(TygerError) -> String {
        guard case .scalar(let scalar) = node else {
            throw TygerError(.backend, "\(place): field '\(field)' must be a string")
        }
        return scalar.string
    }

    /// The spellings of a boolean accepted for a security setting: the YAML 1.2 core schema's,
    /// unquoted. kubectl would read `yes` and `on` as true (YAML 1.1) and refuse `"true"`
    /// (a string); refusing every other spelling means no reading of the file, by either
    /// tool, turns verification off when the other would not.
    static let booleanSpellings: [String: Bool] = [
        "true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false,
    ]

    /// A boolean field read strictly; `nil` when absent (or `null`, which kubectl reads as absent).
    static func strictBoolean(_ node: Node?, field: String, place: String) throws(TygerError) -> Bool? {
        guard let node else { return nil }
        // Quoted, or tagged `!!str`, a scalar is a string whatever it spells.
        func isString(_ scalar: Node.Scalar) -> Bool {
            let tag = scalar.tag.description
            return scalar.style != .plain || !(tag == Tag.Name.implicit.rawValue || tag == Tag.Name.bool.rawValue)
        }
        guard case .scalar(let scalar) = node, !isString(scalar), let value = booleanSpellings[scalar.string] else {
            // The value is not quoted back: a misplaced paste could be a token.
            throw TygerError(
                .backend,
                "\(place): field '\(field)' must be a YAML boolean; allowed: true or false, unquoted (also True, TRUE, "
                    + "False, FALSE); a quoted string, yes/no, on/off, a number or a list is refused rather than guessed"
            )
        }
        return value
    }

    private static func dictionary(_ mapping: Node.Mapping) -> [String: Node] {
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, result[name] == nil else { continue }
            // `key:` and `key: null` mean the key is absent, as in kubectl's Go decoding.
            if case .scalar(let scalar) = value, scalar.style == .plain,
                ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            {
                continue
            }
            result[name] = value
        }
        return result
    }

    private static func list(_ names: some Collection<String>) -> String {
        names.isEmpty ? "(none)" : names.sorted().map { "'\($0)'" }.joined(separator: ", ")
    }

    private static func yamlLocation(_ error: any Error) -> String {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                return " (line \(mark.line), column \(mark.column))"
            case .duplicatedKeysInMapping(_, let context):
                // Not the keys: in a broken file a token can end up as a key.
                let mark = context.mark
                return ": a mapping repeats a key (line \(mark.line), column \(mark.column)); "
                    + "each field may appear once"
            default:
                return ""
            }
        }
        return ""
    }
}
