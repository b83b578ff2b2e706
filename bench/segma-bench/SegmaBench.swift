import ArgumentParser
import SegmaKit

/// The in-process half of the benchmark (bench/run runs it; README "Benchmarks").
@main
struct SegmaBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "segma-bench",
    abstract: "Measurements bench/run needs from inside a segma process.",
    subcommands: [Roofline.self])

  static func main() {
    // The same OpenBLAS kernel choice as segma (DESIGN §9), so both measure one thing.
    BLASKernel.selectAtStartup()
    main(nil)
  }
}
