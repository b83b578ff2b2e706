import ArgumentParser
import Foundation
import Manifest
import SegmaKit

extension Segma {
  struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Frame sequences through key images: (1 - t) z_a + t z_b.",
      discussion: """
        Keys are the inputs in order (files, or the latent records of a manifest).
        Each pair gets --frames frames from the first key towards the next; the last
        key ends the sequence (with --loop the sequence returns to the first key).
        Records are <name>/000001 ..., name = <first>--<last> unless --name.
        With -o DIR, frames go to DIR/<name>/000001.png and a ready ffmpeg command
        is printed on stderr.

        EXAMPLES
          segma interpolate --frames 24 -o out/ a.png b.png c.png
          segma encode keys/ | segma interpolate --frames 12 --loop --name walk -o out/
        """)

    @Option(help: ArgumentHelp("Frames per pair of keys.", valueName: "n"))
    var frames = 12

    @Flag(help: "Return from the last key to the first.")
    var loop = false

    @Option(help: ArgumentHelp("Sequence name (default: <first>--<last>).", valueName: "name"))
    var name: String?

    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
      guard frames >= 1 else { throw ValidationError("--frames must be at least 1.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        ComputeThreads.set(runOptions.threads)
        let coder = LatentCoder(loaded: try modelOptions.load(), images: input.images, threads: runOptions.threads)
        let source = try RecordSource(input: input, coder: coder, diagnostics: diagnostics)
        let sink = try RecordSink(options: output, coder: coder, diagnostics: diagnostics)
        var keys: [LatentRecord] = []
        while let batch = try source.nextBatch() {
          var passed: [Record] = []
          for record in batch {
            if case .latent(let latent) = record { keys.append(latent) } else { passed.append(record) }
          }
          try sink.write(passed)
        }
        guard keys.count >= 2 else { throw InputError.tooFewKeys(found: keys.count) }
        let stem = { (id: String) in id.split(separator: "/").last.map(String.init) ?? id }
        let sequence = name ?? "\(stem(keys[0].id))--\(stem(keys[keys.count - 1].id))"
        let pairs = Array(zip(keys, keys.dropFirst())) + (loop ? [(keys[keys.count - 1], keys[0])] : [])
        var records: [Record] = []
        var frame = 0
        func add(_ z: [Float], from a: LatentRecord, to b: LatentRecord, t: Float) {
          frame += 1
          records.append(.latent(coder.record(
            id: "\(sequence)/\(String(format: "%06d", frame))", src: nil, z: z, size: a.size, channels: a.channels,
            ops: [.object([("interpolate", .object([("from", .string(a.id)), ("to", .string(b.id)), ("t", .float(t))]))])],
            frame: frame)))
        }
        for (a, b) in pairs {
          for k in 0..<frames {
            let t = Float(k) / Float(frames)
            add(SegmaKit.interpolate(from: a.z, to: b.z, fraction: t), from: a, to: b, t: t)
          }
        }
        if !loop, let last = keys.last { add(last.z, from: last, to: last, t: 1) }
        try sink.write(records)
        try sink.finish()
        if let directory = output.directory {
          let frames = outputRelativePath(forID: sequence + "/%06d", fileExtension: output.format.fileExtension)
          let movie = outputRelativePath(forID: sequence, fileExtension: "mp4").replacingOccurrences(of: "/", with: "-")
          let folder = directory.hasSuffix("/") ? directory : directory + "/"
          diagnostics.note("ffmpeg -framerate 24 -i \(shellQuoted(folder + frames)) -pix_fmt yuv420p \(shellQuoted(movie))")
        }
      }
    }
  }
}

/// `text` in single quotes for a POSIX shell.
func shellQuoted(_ text: String) -> String {
  "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
