import ArgumentParser
import Foundation
import Manifest
import SegmaKit

extension Segma {
  struct Restyle: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Keep each record's class, take a reference image's style.",
      discussion: """
        For a record of class i and a reference of class r: m_i + (z_ref - m_r).
        Output ids are <id>.restyle-<reference name>.

        EXAMPLES
          segma restyle --style striped.png -o out/ shirts/
          segma encode dresses/ | segma restyle --style ref.png | segma decode -o out/
        """)

    @Option(help: ArgumentHelp("The image whose style to take.", valueName: "image"))
    var style: String

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        try Stage.run(input: input, output: output, model: modelOptions, runOptions: runOptions, diagnostics: diagnostics) {
          coder in
          let name = ((style as NSString).lastPathComponent as NSString).deletingPathExtension
          guard case .latent(let reference)? = coder.encode([InputFile(path: style, id: name)], diagnostics: diagnostics).first
          else { throw ExitCode(ExitStatus.noInput.rawValue) }  // encode reported why
          let referenceMean = coder.mean(coder.classify(reference.z).index)
          return { latent in
            let own = coder.model.config.classNames.firstIndex(of: latent.className) ?? coder.classify(latent.z).index
            return [.latent(coder.record(
              id: "\(latent.id).restyle-\(name)", src: latent.src,
              z: restyle(classMean: coder.mean(own), reference: reference.z, referenceMean: referenceMean),
              size: latent.size, channels: latent.channels,
              ops: latent.ops + [.object([("restyle", .object([("style", .string(style))]))])], frame: latent.frame))]
          }
        }
      }
    }
  }
}
