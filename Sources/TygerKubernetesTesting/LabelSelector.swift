import Foundation

/// A label selector, from the `labelSelector` query parameter or a `LabelSelector` object.
struct LabelSelector: Sendable, Equatable {
    enum Operator: Sendable, Equatable {
        case equals, notEquals, isIn, notIn, exists, doesNotExist
    }

    struct Requirement: Sendable, Equatable {
        var key: String
        var op: Operator
        var values: [String]

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .equals: return value == values.first
            case .notEquals: return value != values.first
            case .isIn: return value.map(values.contains) ?? false
            // As in Kubernetes, `notin` and `!=` also match objects without the label.
            case .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }
    }

    var requirements: [Requirement]
    /// A `LabelSelector` object that is absent selects nothing, unlike an empty one.
    var selectsNothing = false

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement], selectsNothing: Bool = false) {
        self.requirements = requirements
        self.selectsNothing = selectsNothing
    }

    func matches(_ labels: [String: String]) -> Bool {
        !selectsNothing && requirements.allSatisfy { $0.matches(labels) }
    }

    /// Parses the query-string syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for term in Self.splitTerms(text) {
            let term = term.trimmingSpaces
            if term.isEmpty { continue }
            requirements.append(try Self.parseTerm(term, whole: text))
        }
        self.init(requirements: requirements)
    }

    /// Reads a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`).
    init(object: JSONValue?) throws(APIError) {
        guard let object, !object.isNull else {
            self.init(requirements: [], selectsNothing: true)
            return
        }
        var requirements: [Requirement] = []
        for (key, value) in object["matchLabels"]?.stringMap.sorted(by: { $0.key < $1.key }) ?? [] {
            requirements.append(Requirement(key: key, op: .equals, values: [value]))
        }
        for expression in object["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let op: Operator
            switch expression["operator"]?.stringValue ?? "" {
            case "In": op = .isIn
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            case let other: throw APIError.badRequest("\"\(other)\" is not a valid label selector operator")
            }
            requirements.append(Requirement(key: key, op: op, values: values))
        }
        self.init(requirements: requirements)
    }

    /// Splits on commas outside parentheses, so `a in (x,y),b` is two terms.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                terms.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        terms.append(current)
        return terms
    }

    private static func parseTerm(_ term: String, whole: String) throws(APIError) -> Requirement {
        func fail(_ why: String) -> APIError {
            APIError.badRequest("unable to parse requirement: \(why)")
        }
        if term.hasPrefix("!") {
            let key = String(term.dropFirst()).trimmingSpaces
            try validateKey(key, fail)
            return Requirement(key: key, op: .doesNotExist, values: [])
        }
        if let open = term.firstIndex(of: "(") {
            guard term.hasSuffix(")") else { throw fail("found '\(term)', expected: ')'") }
            let head = term[..<open].split(separator: " ", omittingEmptySubsequences: true)
            guard head.count == 2 else { throw fail("found '\(term)', expected: in, notin") }
            let key = String(head[0])
            try validateKey(key, fail)
            let op: Operator
            switch head[1] {
            case "in": op = .isIn
            case "notin": op = .notIn
            default: throw fail("found '\(head[1])', expected: in, notin")
            }
            let inner = term[term.index(after: open)..<term.index(before: term.endIndex)]
            let values = inner.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0).trimmingSpaces
            }
            for value in values { try validateValue(value, fail) }
            return Requirement(key: key, op: op, values: values)
        }
        for (symbol, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] {
            if let range = term.range(of: symbol) {
                let key = String(term[..<range.lowerBound]).trimmingSpaces
                let value = String(term[range.upperBound...]).trimmingSpaces
                try validateKey(key, fail)
                try validateValue(value, fail)
                return Requirement(key: key, op: op, values: [value])
            }
        }
        try validateKey(term, fail)
        return Requirement(key: term, op: .exists, values: [])
    }

    private static func validateKey(_ key: String, _ fail: (String) -> APIError) throws(APIError) {
        if let problem = Validation.labelKeyProblem(key) { throw fail("invalid label key \"\(key)\": \(problem)") }
    }

    private static func validateValue(_ value: String, _ fail: (String) -> APIError) throws(APIError) {
        if let problem = Validation.labelValueProblem(value) {
            throw fail("invalid label value: \"\(value)\": \(problem)")
        }
    }
}

/// A field selector: `metadata.name=x,status.phase!=Running`.
///
/// Only the fields the API server indexes for each resource are accepted; anything else is a 400,
/// as it is in Kubernetes, so a client cannot come to rely on a selector a real cluster rejects.
struct FieldSelector: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var field: String
        var equals: Bool
        var value: String
    }

    var requirements: [Requirement]

    static let everything = FieldSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    init(parsing text: String, resource: ResourceType) throws(APIError) {
        var requirements: [Requirement] = []
        for term in text.split(separator: ",") {
            let term = String(term).trimmingSpaces
            if term.isEmpty { continue }
            var parsed: Requirement?
            for (symbol, equals) in [("!=", false), ("==", true), ("=", true)] {
                if let range = term.range(of: symbol) {
                    parsed = Requirement(
                        field: String(term[..<range.lowerBound]).trimmingSpaces, equals: equals,
                        value: String(term[range.upperBound...]).trimmingSpaces)
                    break
                }
            }
            guard let requirement = parsed else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            guard Self.supportedFields(resource).contains(requirement.field) else {
                throw APIError.badRequest(
                    "field label not supported: \(requirement.field)")
            }
            requirements.append(requirement)
        }
        self.init(requirements: requirements)
    }

    static func supportedFields(_ resource: ResourceType) -> Set<String> {
        var fields: Set<String> = ["metadata.name", "metadata.namespace"]
        switch resource.plural {
        case "pods":
            fields.formUnion([
                "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
            ])
        case "events":
            fields.formUnion([
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                "reportingComponent", "source", "type",
            ])
        case "namespaces": fields.insert("status.phase")
        case "secrets": fields.insert("type")
        case "jobs": fields.insert("status.successful")
        default: break
        }
        return fields
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = Self.value(of: requirement.field, in: object)
            return (actual == requirement.value) == requirement.equals
        }
    }

    private static func value(of field: String, in object: JSONValue) -> String {
        if field == "source" {
            return object[path: ["source", "component"]]?.stringValue ?? ""
        }
        switch object[path: field.split(separator: ".").map(String.init)] {
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        case .number?:
            return object[path: field.split(separator: ".").map(String.init)]?.intValue.map(String.init) ?? ""
        default: return ""
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return String(slice)
    }
}
