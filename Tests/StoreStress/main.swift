// Creates codespec versions in a loop, so that tests can run several of these processes
// against one store directory at once and kill them at arbitrary moments.
//
// usage: tyger-store-stress DIRECTORY NAME COUNT LABEL
// Each creation stores a codespec whose env holds LABEL and the iteration, so contents
// differ across processes and iterations; each created version is printed on its own line.
import Foundation
import TygerKit

let arguments = CommandLine.arguments
guard arguments.count == 5, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: tyger-store-stress DIRECTORY NAME COUNT LABEL\n".utf8))
    exit(64)
}
let store = FileCodespecStore(directory: URL(fileURLWithPath: arguments[1]))
for iteration in 0..<count {
    let codespec = Codespec(
        name: arguments[2],
        command: ["true"],
        env: ["LABEL": arguments[4], "ITERATION": "\(iteration)", "PADDING": String(repeating: "x", count: 4096)]
    )
    do {
        let stored = try await store.create(codespec)
        FileHandle.standardOutput.write(Data("\(stored.version ?? 0)\n".utf8))
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(1)
    }
}
