#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Validation of the host part of worker addresses and of `TYGER_WORKER_NODES` entries.
enum HostName {
    typealias ParseError = WorkerEndpoint.ParseError

    /// Accepts a bare host as it appears in `TYGER_WORKER_NODES`: a DNS name, IPv4 or unbracketed IPv6.
    static func validate(_ host: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        guard !host.isEmpty else { throw ParseError(reason: "empty host name") }
        if host.contains(UInt8(ascii: ":")) {
            try validateIPv6(host)
        } else {
            try validateName(host)
        }
    }

    /// DNS names (RFC 1123 labels, plus `_` which some resolvers allow) and dotted-quad IPv4.
    ///
    /// Host names are the bulk of a large address list, and a byte-at-a-time loop over them cost
    /// more than the whole JSON parse, so bytes are classified eight at a time in a `UInt64`.
    static func validateName(_ host: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        // A single trailing dot marks a fully qualified name and is not an empty label.
        let name = host.last == UInt8(ascii: ".") ? UnsafeBufferPointer(rebasing: host.dropLast()) : host
        guard let base = name.baseAddress, !name.isEmpty else {
            throw ParseError(reason: "host name has no labels")
        }
        guard name.count <= 253 else { throw ParseError(reason: "host name is longer than 253 bytes") }

        var rejectedLanes: UInt64 = 0
        // Character errors are more telling than label-shape errors, so the latter wait for the end.
        var labelProblem: String?
        var labelStart = 0
        var offset = 0
        while offset < name.count {
            let available = min(8, name.count - offset)
            // Lane i (bits 8i..8i+7) holds byte offset + i, on every platform.
            let word: UInt64
            if available == 8 {
                word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
            } else if name.count >= 8 {
                // Re-read the last eight bytes and shift out the ones already seen, rather than
                // copying the tail: the copy's store-then-load stalled the pipeline on every host.
                let last = UInt64(littleEndian: UnsafeRawPointer(base + name.count - 8).loadUnaligned(as: UInt64.self))
                word = last >> (8 * UInt64(8 - available))
            } else {
                var short: UInt64 = 0
                withUnsafeMutableBytes(of: &short) { destination in
                    destination.copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: available))
                }
                word = UInt64(littleEndian: short)
            }
            let lanes = available == 8 ? Lanes.high : Lanes.high & ((1 << (8 * UInt64(available))) &- 1)
            let classes = Lanes.classify(word)
            rejectedLanes |= ~classes.allowed & lanes
            var dots = classes.dots & lanes
            while dots != 0 {
                let dot = offset + dots.trailingZeroBitCount / 8
                labelProblem = labelProblem ?? problem(label: UnsafeBufferPointer(rebasing: name[labelStart..<dot]))
                labelStart = dot + 1
                dots &= dots &- 1
            }
            offset += 8
        }
        let lastLabel = UnsafeBufferPointer(rebasing: name[labelStart...])
        labelProblem = labelProblem ?? problem(label: lastLabel)

        if rejectedLanes != 0 {
            let byte = name.first { !isNameByte($0) } ?? 0
            if byte == UInt8(ascii: ":") {
                throw ParseError(reason: "host contains ':'; an IPv6 address must be in brackets, as in '[fd00::1]:9000'")
            }
            if byte >= 0x80 {
                throw ParseError(reason: "non-ASCII character in host name (write internationalized names as punycode, 'xn--...')")
            }
            throw ParseError(reason: "invalid character \(Quoting.character(byte)) in host name")
        }
        if let labelProblem { throw ParseError(reason: labelProblem) }

        // Top-level domains are never all-numeric (RFC 3696 §2), so such a name must be an IPv4 address.
        if lastLabel.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }), !parses(name, family: AF_INET) {
            throw ParseError(reason: "not a valid IPv4 address")
        }
    }

    /// IPv6 text as `inet_pton` accepts it, optionally with a `%zone` suffix for link-local addresses.
    static func validateIPv6(_ host: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        var address = host
        if let percent = host.firstIndex(of: UInt8(ascii: "%")) {
            let zone = host[(percent + 1)...]
            guard !zone.isEmpty, zone.allSatisfy(isNameByte) else {
                throw ParseError(reason: "invalid IPv6 zone after '%'")
            }
            address = UnsafeBufferPointer(rebasing: host[..<percent])
        }
        guard parses(address, family: AF_INET6) else {
            throw ParseError(reason: "'\(String(decoding: host, as: UTF8.self))' is not a valid IPv6 address")
        }
    }

    private static func problem(label: UnsafeBufferPointer<UInt8>) -> String? {
        if label.isEmpty { return "host name has an empty label" }
        if label.count > 63 { return "host name has a label longer than 63 bytes" }
        if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") {
            return "host name label starts or ends with '-'"
        }
        return nil
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    private static func parses(_ text: UnsafeBufferPointer<UInt8>, family: Int32) -> Bool {
        // inet_pton needs a NUL-terminated string; the longest valid IPv6 text is 45 bytes.
        guard text.count <= 63 else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { cString in
            for index in 0..<text.count { cString[index] = CChar(bitPattern: text[index]) }
            cString[text.count] = 0
            return withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { output in
                inet_pton(family, cString.baseAddress!, output.baseAddress!) == 1
            }
        }
    }

    /// Byte-parallel comparisons on eight ASCII bytes packed in a `UInt64` ("SWAR").
    ///
    /// Each helper sets bit 7 of a lane exactly when that lane's byte matches. Lanes are first
    /// reduced to 7 bits, so the additions and subtractions below can never carry or borrow into
    /// a neighbouring lane; non-ASCII lanes are masked out at the end.
    private enum Lanes {
        static let ones: UInt64 = 0x0101_0101_0101_0101
        static let high: UInt64 = 0x8080_8080_8080_8080
        static let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

        @inline(__always)
        static func classify(_ word: UInt64) -> (allowed: UInt64, dots: UInt64) {
            let ascii = ~word & high
            let seven = word & low7
            // Setting bit 5 folds 'A'-'Z' onto 'a'-'z' and maps nothing else into that range.
            let folded = (word | (ones &* 0x20)) & low7
            let letters = within(folded, 0x61, 0x7A)
            let digits = within(seven, 0x30, 0x39)
            let hyphensAndDots = within(seven, 0x2D, 0x2E)
            let underscores = within(seven, 0x5F, 0x5F)
            let dots = within(seven, 0x2E, 0x2E)
            return ((letters | digits | hyphensAndDots | underscores) & ascii, dots & ascii)
        }

        /// Bit 7 set in lanes whose 7-bit value is in `low...high` (`1 <= low <= high <= 127`).
        @inline(__always)
        private static func within(_ lanes: UInt64, _ low: UInt64, _ high: UInt64) -> UInt64 {
            // Per lane: b + 128 - low >= 128  ⇔  b >= low;  128 + high - b >= 128  ⇔  b <= high.
            let atLeastLow = lanes &+ ones &* (128 - low)
            let atMostHigh = ones &* (128 + high) &- lanes
            return atLeastLow & atMostHigh & Self.high
        }
    }
}
