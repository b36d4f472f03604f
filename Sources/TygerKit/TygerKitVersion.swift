/// The version of TygerKit, which its `tyger` command reports (`tyger --version`).
public enum TygerKitVersion {
    /// The version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.3.0"
}
