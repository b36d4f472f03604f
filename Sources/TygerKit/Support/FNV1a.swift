/// The 64-bit FNV-1a hash: stable across processes and releases (unlike `Hasher`), for
/// values that are stored or compared between processes, such as eTags.
package enum FNV1a {
    /// The hash of `text`'s UTF-8 bytes.
    package static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
