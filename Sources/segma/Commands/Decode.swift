import ArgumentParser

extension Segma {
  struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Decode latent records into images under -o DIR.",
      discussion: """
        Writes DIR/<id>.png (or .jpg) for each latent record and prints an image
        record for it; error records pass through. Existing files are refused
        unless --overwrite or --skip-existing.

        EXAMPLES
          segma decode -o out/ < transferred.jsonl
          segma encode in/ | segma decode --size original --format jpeg -o out/
        """)

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      guard output.directory != nil else { throw ValidationError("decode needs -o DIR.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(input: input, output: output, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics) {
          _ in { [.latent($0)] }
        }
      }
    }
  }
}
