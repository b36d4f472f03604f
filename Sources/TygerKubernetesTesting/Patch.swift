import Foundation

/// The PATCH content types and how each one changes an object.
enum Patch {
    enum Kind: Sendable, Equatable {
        case json
        case merge
        case strategicMerge
        case apply

        init?(contentType: String) {
            let mediaType = contentType.split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() } ?? ""
            switch mediaType {
            case "application/json-patch+json": self = .json
            case "application/merge-patch+json": self = .merge
            case "application/strategic-merge-patch+json": self = .strategicMerge
            case "application/apply-patch+yaml", "application/apply-patch+json", "application/apply-patch+cbor":
                self = .apply
            default: return nil
            }
        }
    }

    static func apply(_ kind: Kind, patch: JSONValue, to original: JSONValue) throws(APIError) -> JSONValue {
        switch kind {
        case .json: return try jsonPatch(patch, to: original)
        case .merge: return mergePatch(patch, to: original)
        case .strategicMerge, .apply: return strategicMerge(patch, into: original)
        }
    }

    // MARK: RFC 7386 JSON merge patch

    static func mergePatch(_ patch: JSONValue, to original: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result: JSONValue = original.objectValue == nil ? .object([:]) : original
        for (key, value) in members {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(value, to: result[key] ?? .null)
            }
        }
        return result
    }

    // MARK: Strategic merge patch

    /// The merge key of each list Kubernetes merges element by element (`patchMergeKey` in the Go
    /// types); lists not named here are replaced whole, as atomic lists are.
    static func mergeKey(for field: String, elements: [JSONValue]) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets",
            "resourceClaims":
            return "name"
        case "hostAliases": return "ip"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "ownerReferences": return "uid"
        case "conditions": return "type"
        case "topologySpreadConstraints": return "topologyKey"
        case "ports":
            // Container ports merge on containerPort, Service ports on port.
            return elements.contains { $0["containerPort"] != nil } ? "containerPort" : "port"
        default: return nil
        }
    }

    /// Lists of scalars that merge as sets rather than being replaced.
    static let mergedPrimitiveLists: Set<String> = ["finalizers"]

    static func strategicMerge(_ patch: JSONValue, into original: JSONValue) -> JSONValue {
        guard case .object(var members) = patch else { return patch }
        if let directive = members["$patch"]?.stringValue {
            members["$patch"] = nil
            switch directive {
            case "replace": return stripDirectives(.object(members))
            case "delete": return .object([:])
            default: break
            }
        }
        var result: JSONValue = original.objectValue == nil ? .object([:]) : original
        let retainKeys = members.removeValue(forKey: "$retainKeys")?.arrayValue?.compactMap(\.stringValue)
        var orders: [String: [JSONValue]] = [:]
        for (key, value) in members where key.hasPrefix("$setElementOrder/") {
            orders[String(key.dropFirst("$setElementOrder/".count))] = value.arrayValue ?? []
            members[key] = nil
        }
        for (key, value) in members where key.hasPrefix("$deleteFromPrimitiveList/") {
            let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
            let doomed = value.arrayValue ?? []
            if let list = result[field]?.arrayValue { result[field] = .array(list.filter { !doomed.contains($0) }) }
            members[key] = nil
        }
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .null:
                result[key] = nil
            case .object:
                result[key] = strategicMerge(value, into: result[key] ?? .null)
            case .array(let elements):
                result[key] = mergeList(field: key, patch: elements, original: result[key]?.arrayValue)
            default:
                result[key] = value
            }
        }
        for (field, order) in orders {
            guard let list = result[field]?.arrayValue else { continue }
            result[field] = .array(reorder(list, by: order, field: field))
        }
        if let retainKeys, case .object(let merged) = result {
            result = .object(merged.filter { retainKeys.contains($0.key) })
        }
        return result
    }

    private static func mergeList(field: String, patch: [JSONValue], original: [JSONValue]?) -> JSONValue {
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" && $0.objectValue?.count == 1 }) {
            return .array(patch.filter { $0["$patch"] == nil }.map(stripDirectives))
        }
        guard let original else { return .array(patch.filter { $0["$patch"] == nil }.map(stripDirectives)) }
        if mergedPrimitiveLists.contains(field) {
            var merged = original
            for element in patch where !merged.contains(element) { merged.append(element) }
            return .array(merged)
        }
        guard let key = mergeKey(for: field, elements: patch + original), patch.allSatisfy({ $0.objectValue != nil })
        else {
            return .array(patch.map(stripDirectives))
        }
        var merged = original
        for element in patch {
            let identity = element[key]
            let position = merged.firstIndex { $0[key] == identity && identity != nil }
            if element["$patch"]?.stringValue == "delete" {
                if let position { merged.remove(at: position) }
            } else if let position {
                merged[position] = strategicMerge(element, into: merged[position])
            } else {
                merged.append(stripDirectives(element))
            }
        }
        return .array(merged)
    }

    /// Applies `$setElementOrder`: listed elements first in the given order, the rest after.
    private static func reorder(_ list: [JSONValue], by order: [JSONValue], field: String) -> [JSONValue] {
        let key = mergeKey(for: field, elements: list)
        func identity(_ element: JSONValue) -> JSONValue { key.flatMap { element[$0] } ?? element }
        let orderIdentities = order.map(identity)
        var ordered: [JSONValue] = []
        var rest: [JSONValue] = []
        for element in list {
            if orderIdentities.contains(identity(element)) { ordered.append(element) } else { rest.append(element) }
        }
        ordered.sort { a, b in
            (orderIdentities.firstIndex(of: identity(a)) ?? 0) < (orderIdentities.firstIndex(of: identity(b)) ?? 0)
        }
        return ordered + rest
    }

    private static func stripDirectives(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.filter { !$0.key.hasPrefix("$") }.mapValues(stripDirectives))
        case .array(let elements): return .array(elements.map(stripDirectives))
        default: return value
        }
    }

    // MARK: RFC 6902 JSON patch

    static func jsonPatch(_ patch: JSONValue, to original: JSONValue) throws(APIError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw APIError.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        }
        var document = original
        for operation in operations {
            let op = operation["op"]?.stringValue ?? ""
            let path = try pointer(operation["path"]?.stringValue)
            switch op {
            case "add": document = try set(document, at: path[...], value: operation["value"] ?? .null, insert: true)
            case "replace":
                _ = try get(document, at: path)
                document = try set(document, at: path[...], value: operation["value"] ?? .null, insert: false)
            case "remove": document = try remove(document, at: path[...])
            case "test":
                guard try get(document, at: path) == (operation["value"] ?? .null) else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: testing value failed")
                }
            case "move", "copy":
                let from = try pointer(operation["from"]?.stringValue)
                let value = try get(document, at: from)
                if op == "move" { document = try remove(document, at: from[...]) }
                document = try set(document, at: path[...], value: value, insert: true)
            default:
                throw APIError.badRequest("Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func pointer(_ text: String?) throws(APIError) -> [String] {
        guard let text, text.isEmpty || text.hasPrefix("/") else {
            throw APIError.badRequest("JSON pointer must start with '/': \(text ?? "")")
        }
        return text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func missing(_ path: [String]) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: doc is missing path: \"/\(path.joined(separator: "/"))\"")
    }

    private static func get(_ document: JSONValue, at path: [String]) throws(APIError) -> JSONValue {
        var current = document
        for token in path {
            if case .array(let elements) = current, let index = Int(token), elements.indices.contains(index) {
                current = elements[index]
            } else if let next = current[token], current.objectValue != nil {
                current = next
            } else {
                throw missing(path)
            }
        }
        return current
    }

    private static func set(_ document: JSONValue, at path: ArraySlice<String>, value: JSONValue, insert: Bool) throws(APIError) -> JSONValue {
        guard let token = path.first else { return value }
        let rest = path.dropFirst()
        switch document {
        case .array(var elements):
            let index = token == "-" ? elements.count : Int(token) ?? -1
            if rest.isEmpty {
                if insert, (0...elements.count).contains(index) {
                    elements.insert(value, at: index)
                } else if !insert, elements.indices.contains(index) {
                    elements[index] = value
                } else {
                    throw missing(Array(path))
                }
            } else {
                guard elements.indices.contains(index) else { throw missing(Array(path)) }
                elements[index] = try set(elements[index], at: rest, value: value, insert: insert)
            }
            return .array(elements)
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let child = members[token] else { throw missing(Array(path)) }
                members[token] = try set(child, at: rest, value: value, insert: insert)
            }
            return .object(members)
        default:
            throw missing(Array(path))
        }
    }

    private static func remove(_ document: JSONValue, at path: ArraySlice<String>) throws(APIError) -> JSONValue {
        guard let token = path.first else { throw missing([]) }
        let rest = path.dropFirst()
        switch document {
        case .array(var elements):
            guard let index = Int(token), elements.indices.contains(index) else { throw missing(Array(path)) }
            if rest.isEmpty { elements.remove(at: index) } else { elements[index] = try remove(elements[index], at: rest) }
            return .array(elements)
        case .object(var members):
            guard let child = members[token] else { throw missing(Array(path)) }
            if rest.isEmpty { members[token] = nil } else { members[token] = try remove(child, at: rest) }
            return .object(members)
        default:
            throw missing(Array(path))
        }
    }
}
