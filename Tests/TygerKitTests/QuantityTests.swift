import Foundation
import Testing
import TygerKit

struct QuantityTests {
    // MARK: - Valid texts

    /// Each text with its exact value, written as a plain decimal string so the
    /// expectation does not go through the code under test.
    static let validTexts: [(text: String, value: String)] = [
        ("1", "1"),
        ("500m", "0.5"),
        ("1G", "1000000000"),
        ("4Gi", "4294967296"),
        ("1e3", "1000"),
        ("1E-3", "0.001"),
        (".5", "0.5"),
        ("5.", "5"),
        ("+1", "1"),
        ("-1", "-1"),
        ("0", "0"),
        ("1.5Gi", "1610612736"),
        ("100n", "0.0000001"),
        ("3000m", "3"),
        ("1.5", "1.5"),
        ("0.5Gi", "536870912"),
        ("1Ki", "1024"),
        ("1Mi", "1048576"),
        ("1Ti", "1099511627776"),
        ("1Pi", "1125899906842624"),
        ("1Ei", "1152921504606846976"),
        ("2u", "0.000002"),
        ("2k", "2000"),
        ("2M", "2000000"),
        ("2T", "2000000000000"),
        ("2P", "2000000000000000"),
        ("2E", "2000000000000000000"),
        ("1e+3", "1000"),
        ("1e-3", "0.001"),
        ("1E3", "1000"),
        ("1.5e2", "150"),
        ("007", "7"),
        ("0.000", "0"),
        ("-0", "0"),
        ("+.5", "0.5"),
        ("-1.5Ki", "-1536"),
        ("1e0003", "1000"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1e99", "1e99"),
        ("1e-100", "1e-100"),
        ("0e999", "0"),
        ("1" + String(repeating: "0", count: 49), "1e49"),
    ]

    @Test(arguments: validTexts)
    func parsesValidText(_ example: (text: String, value: String)) throws {
        let quantity = try Quantity(parsing: example.text)
        let expected = try #require(Decimal(string: example.value, locale: Locale(identifier: "en_US_POSIX")))
        #expect(quantity.decimalValue == expected)
        #expect(quantity.text == example.text)
        #expect(quantity.description == example.text)
    }

    @Test func keepsDecimalExactAtThePrecisionLimit() throws {
        let digits = "99999999999999999999999999999999999999"
        let quantity = try Quantity(parsing: digits + "e-100")
        let expected = try #require(Decimal(string: digits + "e-100", locale: Locale(identifier: "en_US_POSIX")))
        #expect(quantity.decimalValue == expected)
        #expect(try Quantity(parsing: digits) > Quantity(parsing: "99999999999999999999999999999999999998"))
    }

    @Test(arguments: [
        ("-1", true), ("-0", false), ("0", false), ("+1", false), ("1", false), ("-1m", true), ("-0.0Gi", false),
    ])
    func reportsNegative(_ text: String, _ negative: Bool) throws {
        #expect(try Quantity(parsing: text).isNegative == negative)
    }

    // MARK: - Equality, hashing and ordering

    static let equalGroups: [[String]] = [
        ["1", "1000m", "1.0", "0.001k", "+1", "1e0", "1000000000n", "1000000u", "10e-1", "001.000"],
        ["1Ki", "1024"],
        ["1G", "1000M", "1e9", "1000000k", "0.001T"],
        ["0.5Gi", "512Mi", "536870912"],
        ["1Gi", "1024Mi", "1048576Ki"],
        ["0", "-0", "+0", "0.0", "0m", "0Gi", "0e5"],
        ["1.5Ki", "1536"],
        ["-1", "-1000m", "-0.001k"],
    ]

    @Test(arguments: equalGroups)
    func equalByValue(_ texts: [String]) throws {
        let quantities = try texts.map { try Quantity(parsing: $0) }
        for quantity in quantities {
            #expect(quantity == quantities[0], "\(quantity) should equal \(quantities[0])")
            #expect(!(quantity < quantities[0]) && !(quantities[0] < quantity))
        }
        #expect(Set(quantities).count == 1)
        #expect(Set(quantities.map(\.hashValue)).count == 1)
    }

    @Test(arguments: [
        ("1Gi", "1G"), ("1", "1001m"), ("1Ki", "1k"), ("1", "-1"), ("500m", "5"), ("1n", "0"), ("1e3", "1e-3"),
    ])
    func unequalByValue(_ lhs: String, _ rhs: String) throws {
        #expect(try Quantity(parsing: lhs) != Quantity(parsing: rhs))
    }

    @Test func distinctValuesStayDistinctInASet() throws {
        let quantities = try ["1", "1000m", "1Gi", "1G", "1024Mi", "1e9", "2"].map { try Quantity(parsing: $0) }
        #expect(Set(quantities).count == 4)
    }

    @Test func ordersByValue() throws {
        let ascending = [
            "-1Ki", "-1", "-1m", "0", "1n", "1u", "1m", "100m", "1", "1.5", "1k", "1Ki", "1G", "1Gi", "1e20", "1e99",
        ]
        let quantities = try ascending.map { try Quantity(parsing: $0) }
        #expect(quantities.shuffled().sorted().map(\.text) == ascending)
        for (smaller, larger) in zip(quantities, quantities.dropFirst()) {
            #expect(smaller < larger, "\(smaller) < \(larger)")
            #expect(!(larger < smaller), "!(\(larger) < \(smaller))")
        }
    }

    @Test(arguments: [
        ("123", "124"), ("1.23", "1.3"), ("99", "100"), ("0.999", "1"),
        ("12345678901234567890123456789012345678", "2e37"),
    ])
    func ordersValuesWithTheSameLeadingDigitPosition(_ smaller: String, _ larger: String) throws {
        #expect(try Quantity(parsing: smaller) < Quantity(parsing: larger))
        #expect(try !(Quantity(parsing: larger) < Quantity(parsing: smaller)))
    }

    // MARK: - Integer initializers

    @Test func integerInitializersKeepTextAndValue() {
        let literal: Quantity = 4
        #expect(literal.text == "4")
        #expect(literal == (try? Quantity(parsing: "4000m")))
        let negative = Quantity(-20)
        #expect(negative.text == "-20")
        #expect(negative.isNegative)
        #expect(negative.decimalValue == Decimal(-20))
        #expect(Quantity(Int.max).integerValue == Int.max)
        #expect(Quantity(Int.min).integerValue == Int.min)
        #expect(Quantity(0) == (try? Quantity(parsing: "-0")))
        #expect(Quantity(1000) == (try? Quantity(parsing: "1k")))
    }

    // MARK: - Integer readers

    @Test(arguments: [
        ("1", 1000 as Int?), ("500m", 500), ("1.5", 1500), ("0.1m", 1), ("1n", 1), ("0", 0), ("1Ki", 1_024_000),
        ("-1.5m", -1), ("-1", -1000), ("9223372036854775807m", 9_223_372_036_854_775_807),
        ("9223372036854775808m", nil), ("-9223372036854775808m", Int.min), ("1e99", nil), ("1e-100", 1),
    ])
    func milliValueRoundsUp(_ text: String, _ expected: Int?) throws {
        #expect(try Quantity(parsing: text).milliValue == expected)
    }

    @Test(arguments: [
        ("1", 1 as Int?), ("500m", 1), ("3000m", 3), ("3001m", 4), ("4Gi", 4_294_967_296),
        ("1Ei", 1_152_921_504_606_846_976),
        ("8Ei", nil), ("-1.5", -1), ("-0.5", 0), ("1e-100", 1), ("9223372036854775807", Int.max),
        ("9223372036854775808", nil),
    ])
    func integerValueRoundsUp(_ text: String, _ expected: Int?) throws {
        #expect(try Quantity(parsing: text).integerValue == expected)
    }

    // MARK: - Invalid texts

    static let invalidTexts: [(text: String, message: String)] = [
        ("", "'' is not a Kubernetes quantity: it is empty"),
        (" 1", "contains whitespace"),
        ("1 ", "contains whitespace"),
        ("1\n", "contains whitespace"),
        ("1GB", "unknown suffix 'GB'"),
        ("1ki", "unknown suffix 'ki' (did you mean 'Ki'?)"),
        ("1K", "did you mean 'k'?"),
        ("Gi", "does not start with a number"),
        ("1.2.3", "more than one decimal point"),
        ("--1", "does not start with a number"),
        ("+", "does not start with a number"),
        (".", "does not start with a number"),
        ("1e", "invalid exponent 'e'"),
        ("1e+", "invalid exponent 'e+'"),
        ("1e1.5", "invalid exponent 'e1.5'"),
        ("1e3Gi", "invalid exponent 'e3Gi'"),
        ("1Gie3", "unknown suffix 'Gie3'"),
        ("1Eb", "unknown suffix 'Eb'"),
        ("abc", "does not start with a number"),
        ("1_000", "unknown suffix '_000'"),
        ("0x10", "unknown suffix 'x10'"),
        ("1\u{0661}", "unknown suffix '\u{0661}'"),
        ("1e999", "'1e999' is out of range"),
        ("1e-999", "out of range"),
        ("1e100", "out of range"),
        ("15e99", "out of range"),
        ("1e-101", "out of range"),
        ("1e99999999999999999999999", "out of range"),
        (
            "12345678901234567890123456789012345678901234567891",
            "has 50 significant digits and at most 38 are supported"
        ),
        ("123456789012345678901234567890123456789", "has 39 significant digits"),
        ("1.00000000000000000000000000000000000001Ei", "significant digits"),
    ]

    @Test(arguments: invalidTexts)
    func rejectsInvalidText(_ example: (text: String, message: String)) {
        #expect {
            _ = try Quantity(parsing: example.text)
        } throws: { error in
            guard let error = error as? QuantityParseError else { return false }
            return error.text == example.text && error.description.contains(example.message)
        }
    }

    @Test func syntaxErrorsSayWhatIsAllowed() throws {
        let error = try #require(throws: QuantityParseError.self) { try Quantity(parsing: "4GB") }
        #expect(
            error.description
                == "'4GB' is not a Kubernetes quantity: unknown suffix 'GB'; use a number with an optional suffix "
                + "n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent like 1e3"
        )
        #expect(error.reason == .unknownSuffix("GB"))
    }

    @Test(arguments: [
        ("", QuantityParseError.Reason.empty), (" 1", .whitespace), ("Gi", .missingNumber),
        ("1.2.3", .extraDecimalPoint),
        ("1e1.5", .invalidExponent("e1.5")), ("1e999", .outOfRange),
        (String(repeating: "7", count: 50), .tooManyDigits(50)),
    ])
    func reportsReason(_ text: String, _ reason: QuantityParseError.Reason) throws {
        let error = try #require(throws: QuantityParseError.self) { try Quantity(parsing: text) }
        #expect(error.reason == reason)
    }

    // MARK: - Codable

    struct Resources: Codable, Equatable {
        var cpu: Quantity
        var memory: Quantity?
    }

    @Test(arguments: ["500m", "1", "0.5Gi", "1e3", "+1", "005", "1.50"])
    func jsonRoundTripKeepsText(_ text: String) throws {
        let original = Resources(cpu: try Quantity(parsing: text), memory: try Quantity(parsing: "4Gi"))
        let data = try JSONEncoder().encode(original)
        let json = try #require(String(data: data, encoding: .utf8))
        #expect(json.contains("\"cpu\":\"\(text)\""))
        let decoded = try JSONDecoder().decode(Resources.self, from: data)
        #expect(decoded.cpu.text == text)
        #expect(decoded.memory?.text == "4Gi")
        #expect(decoded == original)
    }

    @Test(arguments: [(#"{"cpu": 1}"#, "1", "1"), (#"{"cpu": 0.5}"#, "0.5", "500m"), (#"{"cpu": 1e-3}"#, nil, "1m")])
    func decodesJSONNumbers(_ json: String, _ text: String?, _ equivalent: String) throws {
        let decoded = try JSONDecoder().decode(Resources.self, from: Data(json.utf8))
        if let text { #expect(decoded.cpu.text == text) }
        #expect(decoded.cpu == (try Quantity(parsing: equivalent)))
    }

    @Test func decodingInvalidTextReportsTheParseMessage() throws {
        let error = try #require(throws: DecodingError.self) {
            try JSONDecoder().decode(Resources.self, from: Data(#"{"cpu": "4GB"}"#.utf8))
        }
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(error)")
            return
        }
        #expect(context.debugDescription.contains("'4GB' is not a Kubernetes quantity: unknown suffix 'GB'"))
        #expect(context.codingPath.map(\.stringValue) == ["cpu"])
    }

    @Test func decodingANonQuantityIsATypeMismatch() throws {
        let error = try #require(throws: DecodingError.self) {
            try JSONDecoder().decode(Resources.self, from: Data(#"{"cpu": true}"#.utf8))
        }
        guard case .typeMismatch = error else {
            Issue.record("expected typeMismatch, got \(error)")
            return
        }
    }
}
