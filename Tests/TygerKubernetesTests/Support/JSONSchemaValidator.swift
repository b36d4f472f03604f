import Foundation

/// A strict JSON Schema validator for the Kubernetes schemas that `kubernetes-validate`
/// ships (draft 2020-12, generated from the OpenAPI).
///
/// It knows the keywords those schemas use (`$ref`, `type`, `properties`,
/// `additionalProperties`, `required`, `items`, `enum`, `oneOf`) and ignores only
/// annotations (`description`, `format`, `x-kubernetes-*`, ...). Any other keyword is
/// reported as an error, so a schema it cannot judge never passes silently.
struct JSONSchemaValidator {
    /// Parsed schema files by file name: `_definitions.json`, `job-batch-v1.json`, ...
    private let documents: [String: Any]

    /// Keywords that do not constrain an instance.
    private static let annotations: Set<String> = [
        "description", "format", "$schema", "$id", "$defs", "default", "title",
    ]

    /// Loads `files` (and `_definitions.json`) from a `kubernetes-json-schema/v1.NN.0-local-strict` folder.
    init(folder: URL, files: [String]) throws {
        var documents: [String: Any] = [:]
        for file in Set(files + ["_definitions.json"]) {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            documents[file] = try JSONSerialization.jsonObject(with: data)
        }
        self.documents = documents
    }

    /// Every way `instance` (as `JSONSerialization` reads it) breaks the schema in `file`,
    /// each prefixed by its JSON path (`$.spec.template.spec.containers[0].name`).
    func errors(in instance: Any, schemaFile file: String) -> [String] {
        guard let schema = documents[file] else { return ["no schema file \(file) was loaded"] }
        var errors: [String] = []
        validate(instance, schema, document: file, path: "$", errors: &errors)
        return errors
    }

    /// Encodes `value` as JSON, reads it back, and validates it.
    func errors(encoding value: some Encodable, schemaFile file: String) throws -> [String] {
        let instance = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: .fragmentsAllowed)
        return errors(in: instance, schemaFile: file)
    }

    private func validate(_ instance: Any, _ schemaValue: Any, document: String, path: String, errors: inout [String]) {
        if let accepts = schemaValue as? Bool {
            if !accepts { errors.append("\(path): no value is allowed here") }
            return
        }
        guard let schema = schemaValue as? [String: Any] else {
            errors.append("\(path): the schema in \(document) is not an object")
            return
        }
        for (keyword, argument) in schema.sorted(by: { $0.key < $1.key }) {
            switch keyword {
            case "$ref":
                guard let reference = argument as? String,
                    let (target, targetDocument) = resolve(reference, from: document)
                else {
                    errors.append("\(path): cannot resolve $ref \(argument) in \(document)")
                    continue
                }
                validate(instance, target, document: targetDocument, path: path, errors: &errors)
            case "type":
                let types = (argument as? [String]) ?? [(argument as? String) ?? "?"]
                if !types.contains(where: { Self.matches(instance, type: $0) }) {
                    errors.append(
                        "\(path): \(Self.typeName(of: instance)) is not of type \(types.joined(separator: " or "))")
                }
            case "properties":
                guard let object = instance as? [String: Any], let properties = argument as? [String: Any] else {
                    continue
                }
                for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                    if let propertySchema = properties[name] {
                        validate(value, propertySchema, document: document, path: "\(path).\(name)", errors: &errors)
                    }
                }
            case "additionalProperties":
                guard let object = instance as? [String: Any] else { continue }
                let known = Set((schema["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
                for (name, value) in object.sorted(by: { $0.key < $1.key }) where !known.contains(name) {
                    if let allowed = argument as? Bool, !allowed {
                        errors.append("\(path).\(name): unknown field")
                    } else if !(argument is Bool) {
                        validate(value, argument, document: document, path: "\(path).\(name)", errors: &errors)
                    }
                }
            case "required":
                guard let object = instance as? [String: Any] else { continue }
                for name in (argument as? [String]) ?? [] where object[name] == nil {
                    errors.append("\(path).\(name): required field is missing")
                }
            case "items":
                guard let array = instance as? [Any] else { continue }
                for (index, element) in array.enumerated() {
                    validate(element, argument, document: document, path: "\(path)[\(index)]", errors: &errors)
                }
            case "enum":
                let allowed = (argument as? [Any]) ?? []
                if !allowed.contains(where: { Self.jsonEqual($0, instance) }) {
                    errors.append("\(path): \(instance) is not one of \(allowed)")
                }
            case "oneOf":
                let branches = (argument as? [Any]) ?? []
                let matching = branches.filter { branch in
                    var branchErrors: [String] = []
                    validate(instance, branch, document: document, path: path, errors: &branchErrors)
                    return branchErrors.isEmpty
                }
                if matching.count != 1 {
                    errors.append(
                        "\(path): \(instance) matches \(matching.count) of the \(branches.count) oneOf schemas; exactly 1 must match"
                    )
                }
            default:
                if !Self.annotations.contains(keyword) && !keyword.hasPrefix("x-kubernetes-") {
                    errors.append(
                        "\(path): the validator does not support the schema keyword '\(keyword)' (in \(document))")
                }
            }
        }
    }

    /// Resolves `file#/json/pointer` (the file by its last path component, so
    /// `/api/_definitions.json` is the folder's `_definitions.json`) or `#/json/pointer`.
    private func resolve(_ reference: String, from document: String) -> (Any, String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts[0].isEmpty ? document : String(parts[0].split(separator: "/").last ?? "")
        guard var node = documents[file] else { return nil }
        let pointer = parts.count > 1 ? parts[1] : ""
        for token in pointer.split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let object = node as? [String: Any], let next = object[key] {
                node = next
            } else if let array = node as? [Any], let index = Int(key), array.indices.contains(index) {
                node = array[index]
            } else {
                return nil
            }
        }
        return (node, file)
    }

    /// `JSONSerialization` reads a JSON boolean as an `NSNumber` whose `objCType` is `c`.
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "boolean": return isBoolean(value)
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "number": return value is NSNumber && !isBoolean(value)
        case "integer":
            guard let number = value as? NSNumber, !isBoolean(value) else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        default: return false
        }
    }

    static func typeName(of value: Any) -> String {
        for type in ["null", "boolean", "integer", "number", "string", "array", "object"]
        where matches(value, type: type) {
            return type
        }
        return "\(Swift.type(of: value))"
    }

    static func jsonEqual(_ lhs: Any, _ rhs: Any) -> Bool {
        switch (lhs, rhs) {
        case (is NSNull, is NSNull): return true
        case (let left as String, let right as String): return left == right
        case (let left as NSNumber, let right as NSNumber):
            return isBoolean(left) == isBoolean(right) && left.isEqual(to: right)
        case (let left as [Any], let right as [Any]):
            return left.count == right.count && zip(left, right).allSatisfy { jsonEqual($0, $1) }
        case (let left as [String: Any], let right as [String: Any]):
            return left.count == right.count
                && left.allSatisfy { key, value in right[key].map { jsonEqual(value, $0) } ?? false }
        default: return false
        }
    }
}
