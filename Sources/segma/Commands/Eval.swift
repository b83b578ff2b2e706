import ArgumentParser
import Foundation
import ImageCodecs
import Manifest
import SegmaKit

extension Segma {
  struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure the Gaussian classifier's accuracy on a labelled folder.",
      discussion: """
        TEST_DIR holds one sub-folder per class, named as the model's classes.
        Prints the accuracy and a confusion matrix (rows: true class, columns:
        predicted), or one JSON object with --json.

        EXAMPLES
          segma eval data/fashion-mnist/test
          segma eval --model shapes.segma --json shapes-test/ | jq .accuracy
        """)

    @Argument(help: ArgumentHelp("Folder with one sub-folder of images per class.", valueName: "test-dir"))
    var testDirectory: String

    @Flag(help: "One JSON object instead of text.")
    var json = false

    @OptionGroup(title: "Model")
    var modelOptions: ModelOptions

    @OptionGroup(title: "Images")
    var images: ImageOptions

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        ComputeThreads.set(runOptions.threads)
        let loaded = try modelOptions.load()
        let model = loaded.model
        let folders = try ClassFolders.scan(testDirectory, glob: images.glob)
        var files: [InputFile] = [], truth: [Int] = []
        for (file, label) in folders.files {
          let name = folders.classNames[label]
          guard let index = model.config.classNames.firstIndex(of: name) else { continue }
          files.append(file)
          truth.append(index)
        }
        for name in folders.classNames where !model.config.classNames.contains(name) {
          diagnostics.recordFailed(
            "\(testDirectory)/\(name): eval: not a class of the model (\(model.config.classNames.joined(separator: ", ")))")
        }
        let config = model.config
        let images = loadModelInputs(
          files, width: config.imageWidth, height: config.imageHeight, layout: config.channels == 1 ? .gray : .rgb,
          images: images, threads: runOptions.threads, diagnostics: diagnostics, stage: "eval")
        let k = model.classCount
        var confusion = [[Int]](repeating: Array(repeating: 0, count: k), count: k)
        let usable = zip(images, truth).compactMap { image, label in image.map { ($0, label) } }
        for start in stride(from: 0, to: usable.count, by: model.encoder.maxBatch) {
          let batch = usable[start..<min(start + model.encoder.maxBatch, usable.count)]
          let predictions = model.predictedClasses(of: batch.flatMap(\.0), count: batch.count)
          for ((_, label), predicted) in zip(batch, predictions) { confusion[label][predicted] += 1 }
        }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        let accuracy = usable.isEmpty ? 0 : Double(correct) / Double(usable.count)
        let output = ManifestWriter.standardOutput()
        if json {
          let summary: JSONValue = .object([
            ("model", .string(loaded.path)), ("images", .integer(usable.count)), ("correct", .integer(correct)),
            ("accuracy", .number(accuracy)), ("classes", .array(config.classNames.map { .string($0) })),
            ("confusion", .array(confusion.map { .array($0.map { .integer($0) }) })),
          ])
          var writer = JSONWriter()
          try writer.write(summary)
          try output.write(bytes: writer.bytes + [UInt8(ascii: "\n")])
        } else {
          try output.write(bytes: report(accuracy: accuracy, correct: correct, total: usable.count,
                                         classes: config.classNames, confusion: confusion).utf8)
        }
        try output.flush()
      }
    }

    private func report(accuracy: Double, correct: Int, total: Int, classes: [String], confusion: [[Int]]) -> String {
      let width = max(6, (classes.map(\.count).max() ?? 0) + 1)
      func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
      var lines = [String(format: "accuracy %.4f (%d/%d)", accuracy, correct, total), "", cell("") + classes.map(cell).joined()]
      for (name, row) in zip(classes, confusion) {
        lines.append(cell(name) + row.map { cell(String($0)) }.joined())
      }
      return lines.joined(separator: "\n") + "\n"
    }
  }
}
