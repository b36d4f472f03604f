import Foundation
public import TygerKit

extension RunRenderer {
    /// Checks everything Kubernetes would reject, or would accept and then fail on (a
    /// StatefulSet whose pods cannot be created), and throws one error listing all problems.
    ///
    /// TygerKit's own rules for the run and both codespecs are checked again, so that a run
    /// resolved elsewhere cannot slip past them; their key paths are given from the run's root
    /// (`worker.codespec.endpoints.rpc`).
    ///
    /// - Throws: ``TygerError``: ``TygerError/Code/backend`` for options that cannot work
    ///   (namespace, wait image, label domain); otherwise ``TygerError/Code/invalidSpec``.
    public static func validate(
        runID: String, run: ResolvedRunSpec, options: KubernetesRenderOptions = KubernetesRenderOptions()
    ) throws(TygerError) {
        try validateOptions(options)
        var problems = Problems()
        problems.collect(at: "") { () throws(TygerError) in try run.spec.validate() }
        problems += codespecProblems(run.jobCodespec, kind: .job, nodePool: run.spec.job.nodePool, at: "job")
        switch (run.spec.worker, run.workerCodespec) {
        case (let target?, let codespec?):
            problems += codespecProblems(codespec, kind: .worker, nodePool: target.nodePool, at: "worker")
        case (.some, nil):
            problems.add("worker.codespec", "the run has workers, but their codespec was not resolved")
        case (nil, .some):
            problems.add("worker", "a worker codespec was resolved, but the run has no worker target")
        case (nil, nil):
            break
        }
        problems += runIDProblems(runID, run: run, options: options)
        try problems.throwIfAny()
    }

    /// Checks the options that name things on the cluster (namespace, label keys, the node pool
    /// toleration) and the wait image; the backend also runs it before reading a run, so a bad
    /// namespace or label domain never reaches a request.
    static func validateOptions(_ options: KubernetesRenderOptions) throws(TygerError) {
        var messages: [String] = []
        if !KubernetesNameRules.isDNS1123Label(options.namespace) {
            messages.append("the namespace '\(options.namespace)' is not a Kubernetes namespace name; \(dnsLabelRule)")
        }
        let toleration = options.nodePoolToleration
        if let key = toleration.key, !key.isEmpty, !KubernetesNameRules.isLabelKey(key) {
            messages.append("the node pool toleration key '\(key)' is not a Kubernetes label key")
        }
        if let value = toleration.value, !KubernetesNameRules.isLabelValue(value) {
            messages.append(
                "the node pool toleration value '\(value)' is not a Kubernetes label value; allowed: at most 63 "
                    + "letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
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

    private static func codespecProblems(_ codespec: Codespec, kind: CodespecKind, nodePool: String?, at target: String)
        -> Problems
    {
        var problems = Problems()
        let path = "\(target).codespec"
        var codespec = codespec
        codespec.kind = kind
        problems.collect(at: path) { () throws(TygerError) in try codespec.validate() }
        if let image = codespec.image {
            if !image.isEmpty, image.trimmingCharacters(in: .whitespacesAndNewlines) != image {
                problems.add("\(path).image", "the image '\(image)' must not begin or end with white space")
            }
        } else {
            problems.add("\(path).image", "the kubernetes backend runs container images, and this codespec has none")
        }
        if let identity = codespec.identity, !KubernetesNameRules.isDNS1123Subdomain(identity) {
            problems.add(
                "\(path).identity",
                "'\(identity)' is not a Kubernetes service account name; allowed: lower-case letters, digits, '-' "
                    + "and '.', starting and ending with a letter or digit, at most 253 characters")
        }
        if let nodePool, !nodePool.isEmpty, !KubernetesNameRules.isLabelValue(nodePool) {
            problems.add(
                "\(target).nodePool",
                "'\(nodePool)' is not a Kubernetes node pool name: it is matched as a label value; allowed: at most "
                    + "63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
        }
        return problems
    }

    private static func runIDProblems(_ runID: String, run: ResolvedRunSpec, options: KubernetesRenderOptions)
        -> Problems
    {
        var problems = Problems()
        let names = RunObjectNames(runID: runID)
        let isNameText = runID.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
        guard !runID.isEmpty, isNameText, runID.utf8.last != UInt8(ascii: "-") else {
            problems.add(
                "runID",
                "'\(runID)' cannot name Kubernetes objects; allowed: lower-case letters, digits and '-', ending with a "
                    + "letter or digit")
            return problems
        }
        var checks = [("the Job name", names.job, KubernetesNameRules.maximumLabelLength)]
        if run.spec.job.replicas > 1 {
            checks.append(("the hostname of the last job pod", "\(names.job)-\(run.spec.job.replicas - 1)", 63))
        }
        if let workers = run.spec.worker {
            checks += [
                ("the worker StatefulSet name", names.worker, KubernetesNameRules.maximumStatefulSetNameLength),
                ("the hostname of the last worker pod", names.workerPod(workers.replicas - 1), 63),
                (
                    "the DNS name of the last worker",
                    names.workerHost(workers.replicas - 1, namespace: options.namespace), 253
                ),
            ]
        }
        for (what, name, limit) in checks where name.utf8.count > limit {
            problems.add(
                "runID",
                "the run ID '\(runID)' makes \(what) '\(name)' \(name.utf8.count) characters long; Kubernetes allows at most \(limit)"
            )
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
