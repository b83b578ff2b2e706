import ArgumentParser

extension Segma {
  struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Decode latent records into images under -o DIR.",
      discussion: """
        Writes DIR/<id>.png (or .jpg) for each latent record and prints an image
        record for it; error records pass through. Existing files are refused
        unless --overwrite or --skip-existing.

        --dry-run renders and encodes every image in memory and writes no file:
        stdout carries only the error records (the latents that would not have
        become images), so a run checks a stream or measures decoding speed.

        EXAMPLES
          segma decode -o out/ < transferred.jsonl
          segma encode in/ | segma decode --size original --format jpeg -o out/
          segma sample --class bag -n 10000 | segma decode --dry-run
        """)

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    @Flag(help: "Render and encode the images in memory; write no files (no -o).")
    var dryRun = false

    func validate() throws {
      if dryRun {
        guard output.directory == nil && output.existing == nil else {
          throw ValidationError("--dry-run writes no files: leave out -o, --overwrite and --skip-existing.")
        }
      } else {
        guard output.directory != nil else { throw ValidationError("decode needs -o DIR (or --dry-run).") }
      }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(
          input: input, output: output, isDryRun: dryRun, model: modelOptions, runOptions: runOptions,
          diagnostics: diagnostics
        ) {
          _ in { [.latent($0)] }
        }
      }
    }
  }
}
