import ArgumentParser
import Manifest

extension Segma {
  struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Classify images or latents with the model's Gaussian classifier.",
      discussion: """
        Adds "probs" (the --top most likely classes) to each latent record; class
        and p are the most likely class and its probability. No image output.

        EXAMPLES
          segma classify photos/ > classes.jsonl
          segma classify --top 3 photos/ | jq -r '[.id, .class, .p] | @tsv'
        """)

    @Option(help: ArgumentHelp("How many classes to list per record.", valueName: "k"))
    var top = 3

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(
          input: input, output: nil, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics
        ) { coder in
          let names = coder.model.config.classNames
          return { latent in
            let probabilities = coder.probabilities(latent.z)
            let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(top)
            var classified = latent
            classified.className = names[ranked.first ?? 0]
            classified.p = probabilities[ranked.first ?? 0]
            classified.probs = ranked.map { (className: names[$0], p: probabilities[$0]) }
            return [.latent(classified)]
          }
        }
      }
    }
  }
}
