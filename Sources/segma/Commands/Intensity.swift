import ArgumentParser
import Manifest
import SegmaKit

extension Segma {
  struct Intensity: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Strengthen or weaken class traits by moving away from another class.",
      discussion: """
        For a record of class i: z + s (m_i - m_j), with j from --away-from or else
        the record's second most likely class. Negative s moves toward j. A list of
        amounts gives a sequence: ids <id>.intensity-away-<class>.<frame>.

        EXAMPLES
          segma intensity --amount 0.5 -o out/ shirts/
          segma intensity --amount -1,-0.5,0.5,1 --away-from coat < z.jsonl
        """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Amounts s, comma-separated (may start with -).", valueName: "list"))
    var amount: AmountList

    @Option(help: ArgumentHelp("The class to move away from (default: second most likely).", valueName: "class"))
    var awayFrom: String?

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(input: input, output: output, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics) {
          coder in
          let fixed = try awayFrom.map { try Stage.classIndex($0, option: "--away-from", in: coder.model) }
          let names = coder.model.config.classNames
          let amounts = amount.values
          return { latent in
            let probabilities = coder.probabilities(latent.z)
            let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
            let own = names.firstIndex(of: latent.className) ?? ranked[0]
            let other = fixed ?? ranked.first { $0 != own } ?? own
            return amounts.enumerated().map { n, s in
              .latent(coder.record(
                id: "\(latent.id).intensity-away-\(names[other]).\(Stage.frameLabel(n + 1, of: amounts.count))",
                src: latent.src, z: intensify(latent.z, classMean: coder.mean(own), awayFrom: coder.mean(other), amount: s),
                size: latent.size, channels: latent.channels,
                ops: latent.ops + [.object([("intensity", .object([("away_from", .string(names[other])), ("amount", .float(s))]))])],
                frame: n + 1))
            }
          }
        }
      }
    }
  }
}
