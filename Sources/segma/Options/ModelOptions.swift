import ArgumentParser
import Foundation
import SegmaKit

/// `--model`, and where the model is found without it (DESIGN §4).
struct ModelOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The model file (default: $SEGMA_MODEL, else the installed or built-in default model).", valueName: "path"))
  var model: String?

  /// The candidates in order: --model, $SEGMA_MODEL, <exe>/../share/segma/default.segma,
  /// then models/fashion-mnist.segma of the source tree this binary was built from.
  func candidatePaths() -> [String] {
    if let model { return [model] }
    if let environment = ProcessInfo.processInfo.environment["SEGMA_MODEL"], !environment.isEmpty {
      return [environment]
    }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("share/segma/default.segma").path
    let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/fashion-mnist.segma").path
    return [installed, sourceTree]
  }

  /// Loads the first existing candidate.
  ///
  /// - Throws: `ModelLoadError.notFound` (exit 66) or `ModelFileError` (exit 65).
  func load(encoderBatch: Int = 256, decoderBatch: Int = 256) throws -> LoadedModel {
    let candidates = candidatePaths()
    guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw ModelLoadError.notFound(tried: candidates)
    }
    Diagnostics.shared.verbose("model \(path)")
    let file = try ModelFile.read(path: path)
    let model = try SegmaModel(
      config: file.config, tensors: file.tensors, path: path, encoderBatch: encoderBatch, decoderBatch: decoderBatch)
    return LoadedModel(path: path, model: model, sha256: file.sha256)
  }
}

struct LoadedModel {
  let path: String
  let model: SegmaModel
  let sha256: String
  /// The id manifests carry: "sha256:<16 hex>".
  var id: String { ModelFile.modelID(sha256: sha256) }
}

enum ModelLoadError: Error, CustomStringConvertible {
  case notFound(tried: [String])
  var description: String {
    switch self {
    case .notFound(let tried): "no model found (tried \(tried.joined(separator: ", "))); give --model PATH"
    }
  }
}
