/// Counts primes in a half-open range with a segmented sieve of Eratosthenes over odd numbers.
///
/// Memory stays at one 32 KiB segment plus the base primes up to √hi, whatever the range size,
/// so a worker can count a range of 10⁸ numbers without allocating 10⁸ bytes.
enum PrimeCounter {
    /// The largest accepted upper bound (2⁴⁰ ≈ 1.1 × 10¹²): its base primes (up to ~10⁶) still sieve instantly.
    static let maximumHigh = 1 << 40

    /// Odd numbers per segment: 32 KiB of flags, which stays in the L1/L2 cache while being crossed off.
    private static let segmentLength = 1 << 15

    /// The number of primes `p` with `low <= p < high`. Requires `0 <= low`, `high <= maximumHigh`.
    static func count(from low: Int, to high: Int) -> Int {
        precondition(low >= 0 && high <= maximumHigh, "range outside 0...\(maximumHigh)")
        let low = max(low, 2)
        guard low < high else { return 0 }
        // 2 is the only even prime; everything below works on odd numbers only, halving the work.
        var total = low == 2 ? 1 : 0
        let basePrimes = oddPrimes(through: integerSquareRoot(high - 1))
        var flags = [UInt8](repeating: 0, count: segmentLength)
        var start = max(low, 3) | 1
        while start < high {
            let end = min(start + 2 * segmentLength, high)
            let count = (end - start + 1) / 2
            total += flags.withUnsafeMutableBufferPointer { isPrime in
                for slot in 0..<count { isPrime[slot] = 1 }
                for prime in basePrimes {
                    let square = prime * prime
                    if square >= end { break }
                    // Start at p² (smaller multiples have a smaller factor) or the first odd multiple
                    // in the segment, so p itself is never crossed off.
                    var multiple = max(square, (start + prime - 1) / prime * prime)
                    if multiple & 1 == 0 { multiple += prime }
                    while multiple < end {
                        isPrime[(multiple - start) >> 1] = 0
                        multiple += 2 * prime
                    }
                }
                var primes = 0
                for slot in 0..<count { primes &+= Int(isPrime[slot]) }
                return primes
            }
            start = end | 1
        }
        return total
    }

    /// Odd primes up to and including `limit`, by a plain sieve (limit is at most ~10⁶).
    private static func oddPrimes(through limit: Int) -> [Int] {
        guard limit >= 3 else { return [] }
        var composite = [Bool](repeating: false, count: limit + 1)
        var primes: [Int] = []
        var candidate = 3
        while candidate <= limit {
            if !composite[candidate] {
                primes.append(candidate)
                var multiple = candidate * candidate
                while multiple <= limit {
                    composite[multiple] = true
                    multiple += 2 * candidate
                }
            }
            candidate += 2
        }
        return primes
    }

    /// ⌊√n⌋, exact: the floating-point estimate is corrected, since Double loses precision above 2⁵³.
    private static func integerSquareRoot(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        var root = Int(Double(n).squareRoot())
        while root * root > n { root -= 1 }
        while (root + 1) * (root + 1) <= n { root += 1 }
        return root
    }
}
