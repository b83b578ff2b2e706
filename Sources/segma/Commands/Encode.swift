import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

extension Segma {
  struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Encode images into latent records (a manifest on stdout).",
      discussion: """
        Each image becomes one latent record: its id (path below the folder's parent,
        without extension), source path, model id, z, predicted class and its
        probability, original size and channels. A bad image becomes an error record.

        EXAMPLES
          segma encode shirts/ > shirts.jsonl
          segma encode shirts/ | segma transfer --to dress | segma decode -o out/
          find . -name '*.jpg' | segma encode --files-from - > z.jsonl
        """)

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      if input.readsManifest && input.filesFrom == nil && input.inputs.isEmpty && isatty(0) == 1 {
        throw ValidationError("Give images or folders to encode (or a manifest of image records on stdin).")
      }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(
          input: input, output: nil, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics
        ) { _ in { [.latent($0)] } }
      }
    }
  }
}
