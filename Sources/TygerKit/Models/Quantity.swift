public import Foundation

/// A Kubernetes resource quantity, such as `500m` CPU or `4Gi` of memory.
///
/// The grammar is the one in `k8s.io/apimachinery/pkg/api/resource`: an optionally
/// signed decimal number followed by a decimal SI suffix (`n u m k M G T P E`), a
/// binary SI suffix (`Ki Mi Gi Ti Pi Ei`) or a decimal exponent (`e3`, `E-3`).
///
/// The original spelling is kept in ``text`` so that files round-trip unchanged,
/// while equality, hashing and ordering go by the exact value:
///
/// ```swift
/// let cpu = try Quantity(parsing: "500m")
/// cpu.text                                  // "500m"
/// try Quantity(parsing: "1") == Quantity(parsing: "1000m")  // true
/// try Quantity(parsing: "0.5Gi") == Quantity(parsing: "512Mi")  // true
/// ```
public struct Quantity: Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The quantity exactly as it was written, such as `500m` or `4Gi`.
    ///
    /// ```swift
    /// try Quantity(parsing: "0.5Gi").text  // "0.5Gi"
    /// ```
    public let text: String

    private let value: ExactValue

    /// Parses a quantity written in Kubernetes notation.
    ///
    /// Signs are accepted because the grammar allows them; use ``isNegative`` to
    /// reject negative resource amounts.
    ///
    /// ```swift
    /// let memory = try Quantity(parsing: "4Gi")
    /// memory.integerValue  // 4294967296
    /// ```
    ///
    /// - Throws: ``QuantityParseError`` when `text` is not a quantity, or when its
    ///   value cannot be represented exactly.
    public init(parsing text: String) throws(QuantityParseError) {
        self.text = text
        self.value = try ExactValue(parsing: text)
    }

    /// Creates a quantity of a whole number of units.
    ///
    /// ```swift
    /// let gpus = Quantity(2)
    /// gpus.text  // "2"
    /// ```
    public init(_ value: Int) {
        self.text = String(value)
        self.value = ExactValue(value)
    }

    /// Creates a quantity from an integer literal.
    ///
    /// ```swift
    /// let cpu: Quantity = 4
    /// cpu.text  // "4"
    /// ```
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    /// The original spelling, ``text``.
    ///
    /// ```swift
    /// "\(try Quantity(parsing: "1e3"))"  // "1e3"
    /// ```
    public var description: String { text }

    /// True when the value is below zero; `-0` is not negative.
    ///
    /// Resource amounts must not be negative, but the grammar allows a sign, so
    /// validators check this rather than the parser.
    ///
    /// ```swift
    /// try Quantity(parsing: "-1").isNegative  // true
    /// ```
    public var isNegative: Bool { value.isNegative }

    /// The exact value as a `Decimal`.
    ///
    /// Parsing guarantees the value fits in `Decimal` without rounding.
    ///
    /// ```swift
    /// try Quantity(parsing: "1.5Ki").decimalValue  // 1536
    /// ```
    public var decimalValue: Decimal { value.decimalValue }

    /// The value in thousandths, rounded up like Kubernetes' `MilliValue`, or nil
    /// if it does not fit in an `Int`.
    ///
    /// Rounding is toward positive infinity, so `-1.5m` gives `-1`.
    ///
    /// ```swift
    /// try Quantity(parsing: "1.5").milliValue   // 1500
    /// try Quantity(parsing: "0.1m").milliValue  // 1
    /// ```
    public var milliValue: Int? { value.ceiling(inUnitsOf: -3) }

    /// The value rounded up to a whole number, like Kubernetes' `Value`, or nil if
    /// it does not fit in an `Int`.
    ///
    /// Rounding is toward positive infinity, so `-1.5` gives `-1`.
    ///
    /// ```swift
    /// try Quantity(parsing: "1Gi").integerValue   // 1073741824
    /// try Quantity(parsing: "500m").integerValue  // 1
    /// ```
    public var integerValue: Int? { value.ceiling(inUnitsOf: 0) }

    /// Decodes a quantity from a string (`"500m"`) or a number (`1`, `1.5`).
    ///
    /// A string is tried first because YAML decoders hand out a plain scalar such
    /// as `1` as its original text, which keeps the spelling exact.
    ///
    /// ```swift
    /// struct Limits: Decodable { var cpu: Quantity }
    /// let limits = try JSONDecoder().decode(Limits.self, from: Data(#"{"cpu": 0.5}"#.utf8))
    /// limits.cpu.text  // "0.5"
    /// ```
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else if let double = try? container.decode(Double.self) {
            // Swift prints the shortest text that reads back as the same double,
            // so a JSON `0.5` becomes "0.5" rather than a long binary expansion.
            text = double.description
        } else {
            throw DecodingError.typeMismatch(
                Quantity.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a Kubernetes quantity such as 1, 0.5, \"500m\" or \"4Gi\""
                )
            )
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the quantity as the string ``text``.
    ///
    /// ```swift
    /// try JSONEncoder().encode([try Quantity(parsing: "500m")])  // ["500m"]
    /// ```
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

extension Quantity: Hashable {
    /// Compares by value, so `1`, `1000m` and `0.001k` are all equal.
    ///
    /// ```swift
    /// try Quantity(parsing: "1Ki") == Quantity(parsing: "1024")  // true
    /// ```
    public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.value == rhs.value
    }

    /// Hashes the value, not the spelling, to agree with ``==(_:_:)``.
    ///
    /// ```swift
    /// Set([try Quantity(parsing: "1"), try Quantity(parsing: "1000m")]).count  // 1
    /// ```
    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}

extension Quantity: Comparable {
    /// Orders by value.
    ///
    /// ```swift
    /// try Quantity(parsing: "1G") < Quantity(parsing: "1Gi")  // true
    /// ```
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.value < rhs.value
    }
}

/// Why a text is not a usable Kubernetes quantity.
///
/// ```swift
/// do {
///     _ = try Quantity(parsing: "4GB")
/// } catch {
///     print(error)
///     // '4GB' is not a Kubernetes quantity: unknown suffix 'GB'; use a number with an
///     // optional suffix n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent like 1e3
/// }
/// ```
public struct QuantityParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the text.
    ///
    /// ```swift
    /// let reason: QuantityParseError.Reason = .unknownSuffix("GB")
    /// ```
    public enum Reason: Hashable, Sendable {
        /// The text is empty.
        ///
        /// ```swift
        /// try Quantity(parsing: "")  // throws .empty
        /// ```
        case empty
        /// The text contains spaces, tabs or newlines.
        ///
        /// ```swift
        /// try Quantity(parsing: " 1")  // throws .whitespace
        /// ```
        case whitespace
        /// There is no number where one must be, as in `Gi` or `--1`.
        ///
        /// ```swift
        /// try Quantity(parsing: "Gi")  // throws .missingNumber
        /// ```
        case missingNumber
        /// The number has more than one decimal point, as in `1.2.3`.
        ///
        /// ```swift
        /// try Quantity(parsing: "1.2.3")  // throws .extraDecimalPoint
        /// ```
        case extraDecimalPoint
        /// What follows the number is not a known suffix; the associated value is that suffix.
        ///
        /// ```swift
        /// try Quantity(parsing: "1GB")  // throws .unknownSuffix("GB")
        /// ```
        case unknownSuffix(String)
        /// An `e` or `E` exponent is not a whole number; the associated value is the exponent text.
        ///
        /// ```swift
        /// try Quantity(parsing: "1e1.5")  // throws .invalidExponent("e1.5")
        /// ```
        case invalidExponent(String)
        /// The value has more significant digits than can be held exactly; the
        /// associated value is how many it has.
        ///
        /// ```swift
        /// try Quantity(parsing: String(repeating: "9", count: 40))  // throws .tooManyDigits(40)
        /// ```
        case tooManyDigits(Int)
        /// The value is too large, or has digits too small, to be held exactly.
        ///
        /// ```swift
        /// try Quantity(parsing: "1e999")  // throws .outOfRange
        /// ```
        case outOfRange
    }

    /// The text that failed to parse.
    ///
    /// ```swift
    /// error.text  // "4GB"
    /// ```
    public let text: String

    /// What is wrong with ``text``.
    ///
    /// ```swift
    /// error.reason  // .unknownSuffix("GB")
    /// ```
    public let reason: Reason

    /// Creates an error for `text`.
    ///
    /// ```swift
    /// let error = QuantityParseError(text: "4GB", reason: .unknownSuffix("GB"))
    /// ```
    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    /// The most significant digits a quantity may have, so that its value fits in `Decimal` exactly.
    ///
    /// ```swift
    /// QuantityParseError.maximumSignificantDigits  // 38
    /// ```
    public static let maximumSignificantDigits = 38

    /// A message that quotes the text and says what would be accepted.
    ///
    /// ```swift
    /// QuantityParseError(text: "", reason: .empty).description
    /// // "'' is not a Kubernetes quantity: it is empty; use a number with an optional suffix ..."
    /// ```
    public var description: String {
        let quoted = "'\(text)'"
        let allowed =
            "use a number with an optional suffix n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei "
            + "or an exponent like 1e3"
        switch reason {
        case .empty:
            return "\(quoted) is not a Kubernetes quantity: it is empty; \(allowed)"
        case .whitespace:
            return
                "\(quoted) is not a Kubernetes quantity: it contains whitespace; "
                + "write it without spaces, like 500m or 4Gi"
        case .missingNumber:
            return "\(quoted) is not a Kubernetes quantity: it does not start with a number "
                + "(digits with at most one '.', after at most one '+' or '-'); \(allowed)"
        case .extraDecimalPoint:
            return "\(quoted) is not a Kubernetes quantity: the number has more than one decimal point; \(allowed)"
        case .unknownSuffix(let suffix):
            // A wrong-case suffix (`ki`, `K`) is the likeliest slip, so point at the right spelling.
            let candidates = ExactValue.suffixes.filter { $0.lowercased() == suffix.lowercased() }
            let hint = candidates.count == 1 ? " (did you mean '\(candidates[0])'?)" : ""
            return "\(quoted) is not a Kubernetes quantity: unknown suffix '\(suffix)'\(hint); \(allowed)"
        case .invalidExponent(let exponent):
            return "\(quoted) is not a Kubernetes quantity: invalid exponent '\(exponent)'; "
                + "an exponent must be a whole number, like 1e3 or 1E-3, and cannot be combined with another suffix"
        case .tooManyDigits(let count):
            return "\(quoted) cannot be represented exactly: it has \(count) significant digits "
                + "and at most \(Self.maximumSignificantDigits) are supported"
        case .outOfRange:
            return "\(quoted) is out of range: a quantity must be smaller than 1e100 in magnitude "
                + "and have no significant digits below 1e-100"
        }
    }
}

/// An exact decimal `significand × 10^exponent`, normalized so that equal values
/// have equal fields and the synthesized `Hashable` agrees with numeric equality.
private struct ExactValue: Hashable, Comparable {
    var isNegative: Bool
    /// Never divisible by 10 unless zero; at most 38 digits.
    var significand: UInt128
    var exponent: Int

    /// Keeps every value inside `Decimal`'s exact range (38 digits, exponent -128...127).
    static let smallestDigitExponent = -100
    static let largestMagnitudeExponent = 99

    static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]
    static let binarySuffixes: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    static let suffixes = ["n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

    init(_ integer: Int) {
        self.isNegative = integer < 0
        self.significand = UInt128(integer.magnitude)
        self.exponent = 0
        normalize()
    }

    init(parsing text: String) throws(QuantityParseError) {
        func failure(_ reason: QuantityParseError.Reason) -> QuantityParseError {
            QuantityParseError(text: text, reason: reason)
        }
        if text.isEmpty { throw failure(.empty) }
        if text.contains(where: \.isWhitespace) { throw failure(.whitespace) }

        // Work on UTF-8 bytes so that only ASCII digits count; Character.isNumber
        // would accept digits from other scripts that Kubernetes rejects.
        let bytes = Array(text.utf8)
        var index = 0
        var negative = false
        if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }

        var digits: [UInt8] = []
        var fractionDigits = 0
        var sawPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.append(byte - UInt8(ascii: "0"))
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: ".") {
                if sawPoint { throw failure(.extraDecimalPoint) }
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        if digits.isEmpty { throw failure(.missingNumber) }

        // Only ASCII bytes were consumed, so the rest starts on a character boundary.
        let suffix = String(decoding: bytes[index...], as: UTF8.self)
        var decimalExponent: Int
        var binaryPower = 0
        if let power = Self.decimalSuffixes[suffix] {
            decimalExponent = power
        } else if let power = Self.binarySuffixes[suffix] {
            decimalExponent = 0
            binaryPower = power
        } else if let exponent = Self.exponentIfPresent(bytes[index...]) {
            guard let value = exponent else { throw failure(.invalidExponent(suffix)) }
            decimalExponent = value
        } else {
            throw failure(.unknownSuffix(suffix))
        }
        decimalExponent -= fractionDigits

        // Leading zeros carry no value; dropping them keeps the binary multiplication short.
        if let first = digits.firstIndex(where: { $0 != 0 }) {
            digits.removeFirst(first)
        } else {
            self.init(isNegative: false, significand: 0, exponent: 0)
            return
        }
        for _ in 0..<binaryPower {
            Self.multiply(&digits, by: 1024)
        }
        let trailingZeros = digits.reversed().prefix(while: { $0 == 0 }).count
        digits.removeLast(trailingZeros)
        decimalExponent += trailingZeros

        if digits.count > QuantityParseError.maximumSignificantDigits {
            throw failure(.tooManyDigits(digits.count))
        }
        if decimalExponent < Self.smallestDigitExponent
            || decimalExponent + digits.count - 1 > Self.largestMagnitudeExponent
        {
            throw failure(.outOfRange)
        }
        let significand = digits.reduce(UInt128(0)) { $0 * 10 + UInt128($1) }
        self.init(isNegative: negative, significand: significand, exponent: decimalExponent)
    }

    private init(isNegative: Bool, significand: UInt128, exponent: Int) {
        self.isNegative = isNegative
        self.significand = significand
        self.exponent = exponent
    }

    /// Returns nil when the suffix is not an exponent at all (so it is an unknown
    /// suffix), and `.some(nil)` when it is an exponent that is not a whole number.
    ///
    /// `E` alone is the exa suffix, and `Eb` reads better as an unknown suffix than
    /// as a broken exponent, so only `e`/`E` followed by nothing, a sign, a digit or
    /// a point counts as an exponent attempt.
    private static func exponentIfPresent(_ suffix: ArraySlice<UInt8>) -> Int?? {
        guard let marker = suffix.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") else {
            return nil
        }
        var rest = suffix.dropFirst()
        if let next = rest.first {
            let startsNumber =
                next == UInt8(ascii: "+") || next == UInt8(ascii: "-") || next == UInt8(ascii: ".")
                || (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9"))
            if !startsNumber { return nil }
        } else if marker == UInt8(ascii: "E") {
            return nil
        }

        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .some(nil)
        }
        // Anything this large is out of range anyway; capping avoids Int overflow.
        let cap = 1_000_000_000
        var value = 0
        for digit in rest {
            value = min(value * 10 + Int(digit - UInt8(ascii: "0")), cap)
        }
        return .some(negative ? -value : value)
    }

    private static func multiply(_ digits: inout [UInt8], by factor: Int) {
        var carry = 0
        for position in digits.indices.reversed() {
            let product = Int(digits[position]) * factor + carry
            digits[position] = UInt8(product % 10)
            carry = product / 10
        }
        while carry > 0 {
            digits.insert(UInt8(carry % 10), at: 0)
            carry /= 10
        }
    }

    private mutating func normalize() {
        // Zero would loop forever, and needs no work: its exponent is already 0.
        guard significand != 0 else { return }
        while significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
    }

    private static func powerOfTen(_ power: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0..<power { result *= 10 }
        return result
    }

    private static func digitCount(_ value: UInt128) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    var decimalValue: Decimal {
        // Split at 10^19 because Decimal only converts from 64-bit integers; the
        // recombination is exact since the result has at most 38 digits.
        let split = Self.powerOfTen(19)
        let high = Decimal(UInt64(significand / split))
        let low = Decimal(UInt64(significand % split))
        let whole = high * Decimal(UInt64(split)) + low
        return Decimal(sign: isNegative ? .minus : .plus, exponent: exponent, significand: whole)
    }

    /// The smallest integer `n` with `n × 10^scale >= self`, if it fits in `Int`.
    func ceiling(inUnitsOf scale: Int) -> Int? {
        if significand == 0 { return 0 }
        let shift = exponent - scale
        var magnitude: UInt128
        var inexact = false
        if shift >= 0 {
            // 10^39 already exceeds UInt128, and any nonzero significand times it overflows Int.
            guard shift <= 38 else { return nil }
            let (product, overflow) = significand.multipliedReportingOverflow(by: Self.powerOfTen(shift))
            guard !overflow else { return nil }
            magnitude = product
        } else if -shift > 38 {
            magnitude = 0
            inexact = true
        } else {
            let (quotient, remainder) = significand.quotientAndRemainder(dividingBy: Self.powerOfTen(-shift))
            magnitude = quotient
            inexact = remainder != 0
        }
        if isNegative {
            // Truncating a negative value toward zero is rounding it up.
            guard magnitude <= UInt128(Int.max) + 1 else { return nil }
            return magnitude == UInt128(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        if inexact { magnitude += 1 }
        guard magnitude <= UInt128(Int.max) else { return nil }
        return Int(magnitude)
    }

    static func < (lhs: ExactValue, rhs: ExactValue) -> Bool {
        let lhsSign = lhs.significand == 0 ? 0 : (lhs.isNegative ? -1 : 1)
        let rhsSign = rhs.significand == 0 ? 0 : (rhs.isNegative ? -1 : 1)
        if lhsSign != rhsSign { return lhsSign < rhsSign }
        if lhsSign == 0 { return false }
        return lhsSign > 0 ? magnitudeLess(lhs, rhs) : magnitudeLess(rhs, lhs)
    }

    private static func magnitudeLess(_ lhs: ExactValue, _ rhs: ExactValue) -> Bool {
        let lhsDigits = digitCount(lhs.significand)
        let rhsDigits = digitCount(rhs.significand)
        let lhsLeading = lhs.exponent + lhsDigits
        let rhsLeading = rhs.exponent + rhsDigits
        if lhsLeading != rhsLeading { return lhsLeading < rhsLeading }
        // Same leading position: pad the shorter significand to the same length,
        // which cannot overflow because the longer one has at most 38 digits.
        if lhsDigits < rhsDigits {
            return lhs.significand * powerOfTen(rhsDigits - lhsDigits) < rhs.significand
        }
        return lhs.significand < rhs.significand * powerOfTen(lhsDigits - rhsDigits)
    }
}
