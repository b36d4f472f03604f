/// Waits until `condition` holds, checking it every `interval`, for at most `timeout`: the
/// way a test waits for something it can only observe by looking (a process table, a file, a
/// request log). Returns whether the condition held.
@discardableResult
package func eventually(
    within timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
}
