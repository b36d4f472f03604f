import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT/SIGTERM into a call instead of process death, so a run can be canceled and
/// its processes stopped before the command exits.
final class SignalCancellation {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32], handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
