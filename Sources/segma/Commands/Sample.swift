import ArgumentParser
import Manifest
import SegmaKit
import Foundation

extension Segma {
  struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Draw new latents of a class: z ~ N(m_k, T^2 I).",
      discussion: """
        Ids are sample-<class>/000001 ...; the same --seed gives the same samples.

        EXAMPLES
          segma sample --class dress -n 16 -o out/
          segma sample --class bag -n 100 --temperature 0.7 --seed 3 > bags.jsonl
        """)

    @Option(name: .customLong("class"), help: ArgumentHelp("The class to sample.", valueName: "class"))
    var className: String

    @Option(name: .customShort("n"), help: ArgumentHelp("How many samples.", valueName: "n"))
    var count = 1

    @Option(help: ArgumentHelp("Spread around the class mean (1: the mixture's own).", valueName: "t"))
    var temperature: Float = 1

    @Option(help: ArgumentHelp("Seed of the sampler.", valueName: "n"))
    var seed: UInt64 = 1

    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Images") var images: ImageOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      guard count >= 1 else { throw ValidationError("-n must be at least 1.") }
      guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        ComputeThreads.set(runOptions.threads)
        let coder = LatentCoder(loaded: try modelOptions.load(), images: images, threads: runOptions.threads)
        let k = try Stage.classIndex(className, option: "--class", in: coder.model)
        let config = coder.model.config
        let sink = try RecordSink(options: output, coder: coder, diagnostics: diagnostics)
        var random = SeededRandom(seed: seed)
        let mean = coder.mean(k)
        var batch: [Record] = []
        for n in 1...count {
          let z = sample(around: mean, temperature: temperature, using: &random)
          batch.append(.latent(coder.record(
            id: "sample-\(config.classNames[k])/\(String(format: "%06d", n))", src: nil, z: z,
            size: ImageSize(width: config.imageWidth, height: config.imageHeight), channels: config.channels,
            ops: [.object([("sample", .object([("class", .string(config.classNames[k])), ("temperature", .float(temperature)),
                                               ("seed", .number(Double(seed)))]))])], frame: n)))
          if batch.count == coder.batchSize || n == count {
            try sink.write(batch)
            batch.removeAll(keepingCapacity: true)
          }
        }
        try sink.finish()
      }
    }
  }
}
