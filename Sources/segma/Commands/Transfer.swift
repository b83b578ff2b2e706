import ArgumentParser
import Manifest
import SegmaKit
import Foundation

extension Segma {
  struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Move latents continuously to another class, keeping their style.",
      discussion: """
        For a record of class i: z + t (m_to - m_i), one output record per t, with
        id <id>.transfer-<class>.<frame>. --steps N gives t = 1/N, 2/N, ..., 1.

        EXAMPLES
          segma transfer --to dress --steps 8 -o out/ shirts/
          segma encode shirts/ | segma transfer --to dress | segma decode -o out/
          segma transfer --to coat --t 0.25,0.5,1.5 < z.jsonl > moved.jsonl
        """)

    @Option(help: ArgumentHelp("The class to move towards.", valueName: "class"))
    var to: String

    @Option(help: ArgumentHelp("Frames from t = 1/N to 1.", valueName: "n"))
    var steps: Int?

    @Option(
      name: .customLong("t"), parsing: .unconditional,
      help: ArgumentHelp("Explicit amounts, comma-separated (0 = unchanged, 1 = at the class).", valueName: "list"))
    var amounts: AmountList?

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      if let steps, steps < 1 { throw ValidationError("--steps must be at least 1.") }
      guard steps == nil || amounts == nil else { throw ValidationError("Give --steps or --t, not both.") }
    }

    /// The t values: --t as given, else 1/N ... 1 (N = --steps, default 1).
    var fractions: [Float] {
      if let amounts { return amounts.values }
      let n = steps ?? 1
      return (1...n).map { Float($0) / Float(n) }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(input: input, output: output, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics) {
          coder in
          let target = try Stage.classIndex(to, option: "--to", in: coder.model)
          let (targetMean, ts, name) = (coder.mean(target), fractions, coder.model.config.classNames[target])
          return { latent in
            let own = coder.model.config.classNames.firstIndex(of: latent.className) ?? coder.classify(latent.z).index
            let mean = coder.mean(own)
            return ts.enumerated().map { n, t in
              .latent(coder.record(
                id: "\(latent.id).transfer-\(name).\(Stage.frameLabel(n + 1, of: ts.count))", src: latent.src,
                z: transfer(latent.z, from: mean, to: targetMean, amount: t), size: latent.size, channels: latent.channels,
                ops: latent.ops + [.object([("transfer", .object([("to", .string(name)), ("t", .float(t))]))])],
                frame: n + 1))
            }
          }
        }
      }
    }
  }
}

/// A comma-separated list of numbers such as `0.25,0.5,1`.
struct AmountList: ExpressibleByArgument {
  var values: [Float]
  init?(argument: String) {
    let parts = argument.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0?.isFinite == true }) else { return nil }
    values = parts.compactMap { $0 }
  }
}
