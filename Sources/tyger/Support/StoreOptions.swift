import ArgumentParser
import TygerKit

/// The codespec store the command works on: the file store under `$TYGER_HOME` (or `~/.tyger`).
struct StoreOptions: ParsableArguments {
    func makeStore() -> FileCodespecStore {
        FileCodespecStore(directory: TygerHome.directory())
    }
}
