import ArgumentParser
import Foundation
import SegmaKit

/// Options every command shares: threads, quiet, verbose.
struct RunOptions: ParsableArguments {
  @Option(
    name: [.customShort("j"), .customLong("threads")],
    help: ArgumentHelp(
      "Worker threads (default: all cores). With more than one, a latent stage reads the next batch"
        + " while it writes the last; 1 runs everything on one thread.",
      valueName: "n"))
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Flag(name: .shortAndLong, help: "No progress bar and no notes; errors are still reported.")
  var quiet = false

  @Flag(name: .shortAndLong, help: "Explain what is being done on stderr.")
  var verbose = false

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose cannot be used together.") }
  }

  /// The process-wide reporter configured by these options.
  func makeDiagnostics() -> Diagnostics {
    Diagnostics.shared.configure(quiet: quiet, verbose: verbose)
    if let note = BLASKernel.reexecutionNote { Diagnostics.shared.verbose(note) }
    return Diagnostics.shared
  }
}
