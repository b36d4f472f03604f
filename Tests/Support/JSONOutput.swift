import Foundation

/// Reads what a command printed as JSON, as a script written for Tyger would.
public enum JSONOutput {
    /// The printed object, or `nil` when the text is not one JSON object.
    public static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The printed array of objects, or `nil` when the text is not one.
    public static func array(_ text: String) -> [[String: Any]]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]]
    }

    /// One object per line, as `run watch` prints them; `nil` when a line is not an object.
    public static func lines(_ text: String) -> [[String: Any]]? {
        var objects: [[String: Any]] = []
        for line in text.split(separator: "\n") {
            guard let object = object(String(line)) else { return nil }
            objects.append(object)
        }
        return objects
    }
}
