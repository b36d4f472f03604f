/// The field-ownership part of server-side apply, reduced to one rule: a field this manager
/// applied before and leaves out now is removed.
///
/// Merging itself is strategic-merge (lists with merge keys merge by key, others are atomic).
/// Conflicts between managers are not detected (every apply behaves as `force=true`), and
/// `metadata.managedFields` is not written.
enum ServerSideApply {
    /// A field: object keys, with `[key=value]` for an element of a list merged by `key`.
    typealias FieldPath = [String]

    /// Every field an apply configuration sets, including the list elements it names.
    static func fields(of configuration: JSONValue) -> Set<FieldPath> {
        var result: Set<FieldPath> = []
        collect(configuration, prefix: [], field: nil, into: &result)
        return result.filter { path in
            !(path == ["apiVersion"] || path == ["kind"] || path == ["metadata", "name"] || path == ["metadata", "namespace"])
        }
    }

    private static func collect(_ value: JSONValue, prefix: FieldPath, field: String?, into result: inout Set<FieldPath>) {
        switch value {
        case .object(let members) where !members.isEmpty:
            if !prefix.isEmpty { result.insert(prefix) }
            for (key, member) in members { collect(member, prefix: prefix + [key], field: key, into: &result) }
        case .array(let elements):
            result.insert(prefix)
            guard let field, let key = Patch.mergeKey(for: field, elements: elements),
                elements.allSatisfy({ $0[key] != nil })
            else { return }
            for element in elements {
                collect(element, prefix: prefix + ["[\(key)=\(element[key]!.serialized)]"], field: nil, into: &result)
            }
        default:
            result.insert(prefix)
        }
    }

    /// `object` without the fields in `removed`, deepest first so a removed parent goes last.
    static func removing(_ removed: Set<FieldPath>, from object: JSONValue) -> JSONValue {
        var object = object
        for path in removed.sorted(by: { $0.count > $1.count }) {
            object = remove(path[...], from: object)
        }
        return object
    }

    private static func remove(_ path: ArraySlice<String>, from value: JSONValue) -> JSONValue {
        guard let component = path.first else { return value }
        let rest = path.dropFirst()
        if component.hasPrefix("["), case .array(var elements) = value,
            let equals = component.firstIndex(of: "=")
        {
            let key = String(component[component.index(after: component.startIndex)..<equals])
            let identity = String(component[component.index(after: equals)..<component.index(before: component.endIndex)])
            guard let index = elements.firstIndex(where: { $0[key]?.serialized == identity }) else { return value }
            if rest.isEmpty {
                elements.remove(at: index)
            } else {
                elements[index] = remove(rest, from: elements[index])
            }
            return .array(elements)
        }
        guard case .object(var members) = value, let child = members[component] else { return value }
        if rest.isEmpty {
            members[component] = nil
        } else {
            members[component] = remove(rest, from: child)
        }
        return .object(members)
    }
}
