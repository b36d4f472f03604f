import Foundation
public import TygerKit

extension RunRenderer {
    /// Checks everything Kubernetes would reject, or would accept and then fail on (a
    /// StatefulSet whose pods cannot be created), and throws one error listing all problems.
    /// TygerKit's own rules hold already: a ``ResolvedRunSpec`` is valid by construction.
    ///
    /// - Throws: ``TygerError``: ``TygerError/Code/backend`` for a namespace or options that
    ///   cannot work (wait image, label domain); otherwise ``TygerError/Code/invalidSpec``.
    /// Any run ID names valid objects: the longest, 19 digits, leaves room in every name.
    public static func validate(
        _ run: ResolvedRunSpec, namespace: String, options: KubernetesRenderOptions = KubernetesRenderOptions()
    ) throws(TygerError) {
        try validateNamespace(namespace)
        try validateOptions(options)
        var problems = codespecProblems(run.job.codespec, nodePool: run.job.nodePool, at: "job", options: options)
        if let worker = run.worker {
            problems += codespecProblems(worker.codespec, nodePool: worker.nodePool, at: "worker", options: options)
        }
        try problems.throwIfAny()
    }

    /// Checks a namespace before it becomes part of a request path or a host name.
    static func validateNamespace(_ namespace: String) throws(TygerError) {
        guard KubernetesNameRules.isDNS1123Label(namespace) else {
            throw TygerError(
                .backend, "the namespace '\(namespace)' is not a Kubernetes namespace name; \(dnsLabelRule)")
        }
    }

    /// Checks the options that name things on the cluster (label keys, the node pool
    /// toleration) and the wait image.
    static func validateOptions(_ options: KubernetesRenderOptions) throws(TygerError) {
        var messages: [String] = []
        for toleration in options.tolerations + (options.gpuToleration.map { [$0] } ?? []) {
            if let key = toleration.key, !key.isEmpty, !KubernetesNameRules.isLabelKey(key) {
                messages.append("the toleration key '\(key)' is not a Kubernetes label key")
            }
            if let value = toleration.value, !KubernetesNameRules.isLabelValue(value) {
                messages.append(
                    "the toleration value '\(value)' is not a Kubernetes label value; allowed: at most 63 "
                        + "letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
            }
        }
        for (key, value) in options.nodeSelector.sorted(by: { $0.key < $1.key }) {
            if !KubernetesNameRules.isLabelKey(key) {
                messages.append("the node selector key '\(key)' is not a Kubernetes label key")
            }
            if !KubernetesNameRules.isLabelValue(value) {
                messages.append("the node selector value '\(value)' of '\(key)' is not a Kubernetes label value")
            }
        }
        if case .tygerRelease(let release) = options.identities, !KubernetesNameRules.isDNS1123Label(release) {
            messages.append("the Tyger release name '\(release)' is not a Helm release name (a DNS-1123 label)")
        }
        if options.waitImage.isEmpty {
            messages.append("the wait image must not be empty: the job's init container runs it")
        }
        if !KubernetesNameRules.isLabelKey("\(options.labelDomain)/run") {
            messages.append("the label domain '\(options.labelDomain)' is not a DNS subdomain, such as tyger.dev")
        }
        if !KubernetesNameRules.isLabelKey(options.nodePoolLabel) {
            messages.append("the node pool label '\(options.nodePoolLabel)' is not a Kubernetes label key")
        }
        guard let first = messages.first else { return }
        throw TygerError(
            .backend, first, related: messages.dropFirst().map { TygerError(.backend, $0) })
    }

    private static func codespecProblems(
        _ codespec: Codespec, nodePool: String?, at target: String, options: KubernetesRenderOptions
    ) -> Problems {
        var problems = Problems()
        let path = "\(target).codespec"
        if let image = codespec.image {
            if !image.isEmpty, image.trimmingCharacters(in: .whitespacesAndNewlines) != image {
                problems.add("\(path).image", "the image '\(image)' must not begin or end with white space")
            }
        } else {
            problems.add("\(path).image", "the kubernetes backend runs container images, and this codespec has none")
        }
        if let identity = codespec.identity,
            let account = options.identities.serviceAccount(identity: identity, role: .job),
            !KubernetesNameRules.isDNS1123Subdomain(account)
        {
            let mapped = account == identity ? "" : " (identity '\(identity)' runs as the service account '\(account)')"
            problems.add(
                "\(path).identity",
                "'\(identity)' does not make a Kubernetes service account name\(mapped); allowed: lower-case letters, "
                    + "digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters in all")
        }
        if let nodePool, !nodePool.isEmpty, !KubernetesNameRules.isLabelValue(nodePool) {
            problems.add(
                "\(target).nodePool",
                "'\(nodePool)' is not a Kubernetes node pool name: it is matched as a label value; allowed: at most "
                    + "63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
        }
        return problems
    }

    private static let dnsLabelRule =
        "allowed: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
}

/// Problems gathered from several checks, thrown as one ``TygerError`` with the rest related.
struct Problems {
    private(set) var errors: [TygerError] = []

    mutating func add(_ keyPath: String, _ message: String) {
        append(TygerError(.invalidSpec, message, location: SpecLocation(keyPath: keyPath)))
    }

    /// Adds a problem unless the same message is already listed for the same key path.
    mutating func append(_ problem: TygerError) {
        let isKnown = errors.contains {
            $0.location?.keyPath == problem.location?.keyPath && $0.message == problem.message
        }
        if !isKnown { errors.append(problem) }
    }

    /// Runs a TygerKit validation, keeping its problems with their key paths under `prefix`;
    /// a problem already present is not repeated.
    mutating func collect(at prefix: String, _ check: () throws(TygerError) -> Void) {
        do {
            try check()
        } catch {
            for var problem in [error] + error.related {
                problem.related = []
                if !prefix.isEmpty {
                    let keyPath = problem.location?.keyPath ?? ""
                    problem.location = SpecLocation(keyPath: keyPath.isEmpty ? prefix : "\(prefix).\(keyPath)")
                }
                append(problem)
            }
        }
    }

    static func += (lhs: inout Problems, rhs: Problems) {
        for error in rhs.errors { lhs.append(error) }
    }

    func throwIfAny() throws(TygerError) {
        guard var first = errors.first else { return }
        first.related = Array(errors.dropFirst())
        throw first
    }
}
