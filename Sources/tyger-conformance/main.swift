#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// tyger-conformance: the programs a backend conformance suite runs as jobs and workers.
// Each subcommand exercises one behaviour of the distributed-run contract and reports
// through its exit status, stdout and stderr only, so any backend can run it unchanged.

/// The command-line summary printed for mistakes in the arguments.
let usageText = """
    usage: tyger-conformance <command> [arguments]
      worker [--fail-first-start MARKER] [--listen-after S]          serve '<index> <endpoint> <instance>' on every TYGER_<NAME>_ENDPOINT_PORT
      job-discovery <endpoint> [--expect-replicas N]
                                                  check that address i answers as worker i; print a JSON summary
      exit <code>                                 print 'exiting with <code>' and exit with it
      sleep <seconds>                             sleep; exit 0 early on SIGTERM
      ignore-term <seconds>                       ignore SIGTERM and sleep
      print <count> [--every S]                   print 'line i' to stdout, and 'err i' to stderr for even i
      env <NAME>...                               print NAME=value or 'NAME unset'
      pid-file <path>                             write the pid to path, then sleep like 'sleep 100000'
    """

/// Reports a command-line mistake with the usage text and exits with `EX_USAGE`.
func usage(_ problem: String) -> Never {
    writeError("tyger-conformance: \(problem)")
    writeError(usageText)
    exit(usageStatus)
}

// Peers that hang up early must surface as EPIPE from write, not kill the process.
_ = signal(SIGPIPE, SIG_IGN)

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { usage("missing command") }
let rest = Array(arguments.dropFirst(2))
switch arguments[1] {
case "worker": WorkerCommand.run(rest)
case "job-discovery": JobDiscoveryCommand.run(rest)
case "exit": SimpleCommands.exitWith(rest)
case "sleep": SimpleCommands.sleep(rest)
case "ignore-term": SimpleCommands.ignoreTerm(rest)
case "print": SimpleCommands.print(rest)
case "env": SimpleCommands.env(rest)
case "pid-file": SimpleCommands.pidFile(rest)
case "-h", "--help", "help":
    writeOutput(usageText)
    exit(0)
default: usage("unknown command '\(arguments[1])'")
}
