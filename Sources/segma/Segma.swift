import ArgumentParser
import SegmaKit

/// The version shown by `segma --version` and `segma info --system`.
let segmaVersion = "0.1.0"

@main
struct Segma: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Encode, edit and decode folders of images with a SeGMA auto-encoder.",
    discussion: """
      Commands read image files, folders or a JSON Lines manifest on stdin and write
      a manifest on stdout or images under -o DIR, so stages chain in pipes.

      Without --model, the bundled Fashion-MNIST model is used.

      EXAMPLES
        segma transfer --to dress --steps 6 -o out/ shirts/
        segma encode shirts/ | segma transfer --to dress | segma decode -o out/
        segma interpolate --frames 24 -o out/ a.png b.png
        segma train --labels-per-class 100 -o my.segma train/
        segma info --system
      """,
    version: segmaVersion,
    groupedSubcommands: [
      CommandGroup(name: "Images", subcommands: [Encode.self, Decode.self, Sheet.self]),
      CommandGroup(name: "Latent operations", subcommands: [
        Interpolate.self, Transfer.self, Restyle.self, Intensity.self, Sample.self, Classify.self,
      ]),
      CommandGroup(name: "Model", subcommands: [Train.self, Eval.self, Info.self]),
    ])

  /// Picks the BLAS kernel (which may re-execute the program) before parsing.
  static func main() {
    BLASKernel.selectAtStartup()
    main(nil)
  }
}
