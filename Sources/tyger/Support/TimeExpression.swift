import ArgumentParser
import Foundation

/// Reads `--since` as Tyger's CLI does (a strtotime-like grammar): an RFC 3339 time
/// (`2026-12-01T10:00:00Z`), a date or date and time without a zone, taken as local time
/// (`2026-12-01`, `2026-12-01 10:00`), `now`, `today`, `yesterday`, and relative times
/// (`1 hour ago`, `3 days ago`, `-2 hours`, `+1 day`, `30 min ago`, `1 year ago`).
enum TimeExpression {
    static func parse(_ text: String, now: Date = Date(), calendar: Calendar = .current) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lowered = trimmed.lowercased()
        if let date = absolute(trimmed, calendar: calendar) { return date }
        switch lowered {
        case "now": return now
        case "today", "midnight": return calendar.startOfDay(for: now)
        case "yesterday":
            return calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now)) ?? now
        default: break
        }
        if let date = relative(lowered, now: now, calendar: calendar) { return date }
        throw CommandLineError(
            "failed to parse time \(text); use an RFC 3339 time (2026-12-01T10:00:00Z), a date (2026-12-01), "
                + "yesterday, or a relative time (2 hours ago, 3 days ago)")
    }

    private static func absolute(_ text: String, calendar: Calendar) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        // Without a zone: local time, as Tyger's CLI takes it.
        let formats = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"]
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = calendar.timeZone
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// `N unit ago`, `-N unit`, `+N unit`, `N unit`; several terms may follow each other
    /// (`1 day 2 hours ago`).
    private static func relative(_ text: String, now: Date, calendar: Calendar) -> Date? {
        var words = text.split(separator: " ").map(String.init)
        var sign = 1
        if words.last == "ago" {
            sign = -1
            words.removeLast()
        }
        guard !words.isEmpty else { return nil }
        var date = now
        var index = 0
        while index < words.count {
            var number = words[index]
            var unitWord: String
            // "2hours" or "2 hours".
            if let split = number.firstIndex(where: { $0.isLetter }), split != number.startIndex {
                unitWord = String(number[split...])
                number = String(number[..<split])
                index += 1
            } else {
                guard index + 1 < words.count else { return nil }
                unitWord = words[index + 1]
                index += 2
            }
            guard let amount = Int(number.hasPrefix("+") ? String(number.dropFirst()) : number),
                let (component, multiplier) = unit(unitWord),
                let next = calendar.date(byAdding: component, value: sign * amount * multiplier, to: date)
            else { return nil }
            date = next
        }
        return date
    }

    private static func unit(_ word: String) -> (Calendar.Component, Int)? {
        switch word {
        case "sec", "secs", "second", "seconds", "s": (.second, 1)
        case "min", "mins", "minute", "minutes", "m": (.minute, 1)
        case "hour", "hours", "h": (.hour, 1)
        case "day", "days", "d": (.day, 1)
        case "week", "weeks", "w": (.day, 7)
        case "fortnight", "fortnights": (.day, 14)
        case "month", "months": (.month, 1)
        case "year", "years", "y": (.year, 1)
        default: nil
        }
    }
}
