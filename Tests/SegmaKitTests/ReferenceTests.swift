import Foundation
import SegmaKit
import TestSupport
import Testing

/// One training step against PyTorch on the same weights and inputs
/// (Tests/Reference/make_reference.py, run in float64): every loss term, every
/// parameter gradient, the gradient norm and the parameters after one Adam step.
@Suite struct ReferenceTests {
  /// Float32 here against float64 there, sums of a few hundred terms: 1e-4 of each
  /// tensor's largest magnitude is well above rounding and far below any real bug
  /// (a dropped factor or a wrong transpose is off by 10% or more).
  let tolerance = 1e-4

  struct Case {
    let reference: ReferenceFile
    let model: SegmaModel
    let trainer: Trainer
    let unlabelled: Int
    let labelled: Int
  }

  func setUp(_ name: String, architecture kind: ModelConfig.Architecture, width: Int, height: Int, channels: Int,
             hidden: Int = 1024, convWidths: [Int] = [32, 32, 64, 64]) throws -> Case {
    let reference = try ReferenceFile(name)
    let latent = Int(reference.scalar("latent")), classes = Int(reference.scalar("classes"))
    let weights = reference.tensor("input.class_weights").values
    let config = ModelConfig(
      architecture: kind, imageWidth: width, imageHeight: height, channels: channels, latentDimension: latent,
      classNames: (0..<classes).map { "class\($0)" }, classWeights: weights, training: [:])
    let unlabelled = reference.tensor("input.unlabelled"), labelled = reference.tensor("input.labelled")
    let (bu, bl) = (unlabelled.shape[0], labelled.shape[0])
    let architecture = Architecture(
      kind, width: width, height: height, channels: channels, latentDimension: latent, classes: classes,
      hiddenWidth: hidden, convWidths: convWidths)
    let model = SegmaModel(config: config, encoderBatch: bu + bl, decoderBatch: bu, architecture: architecture)
    let parameters = reference.tensors.compactMap { name, tensor in
      name.hasPrefix("param.") ? NamedTensor(name: String(name.dropFirst(6)), shape: tensor.shape, values: tensor.values) : nil
    }
    try model.load(parameters, path: "reference")
    var settings = TrainingSettings()
    settings.batchSize = bu
    settings.learningRate = Float(reference.scalar("lr"))
    let data = TrainingData(
      images: unlabelled.values + labelled.values, pixelCount: unlabelled.shape[1],
      labelledIndices: Array(bu..<(bu + bl)), labels: reference.tensor("input.labels").values.map { Int32($0) })
    return Case(reference: reference, model: model, trainer: Trainer(model: model, data: data, settings: settings),
                unlabelled: bu, labelled: bl)
  }

  func check(_ test: Case) {
    let before = test.model.namedTensors()
    let metrics = test.trainer.step(unlabelled: ArraySlice(0..<test.unlabelled), labelled: Array(0..<test.labelled))
    let r = test.reference
    expectClose(Double(metrics.reconstruction), r.scalar("rec"), "REC")
    expectClose(Double(metrics.logCramerWold), log(r.scalar("d2")), "log d²")
    expectClose(Double(metrics.crossEntropy), r.scalar("ce"), "CE")
    expectClose(Double(metrics.labelledCount), Double(test.labelled), "labelled count")
    expectClose(Adam.gradientNorm(test.model.parameters), r.scalar("grad_norm"), "gradient norm")
    expectClose(Array(test.model.encoder.output.prefix(r.tensor("output.latents").values.count)),
                r.tensor("output.latents").values, "latents")
    let lr = r.scalar("lr")
    for (slot, tensor) in test.model.parameters.slots.enumerated() {
      let gradient = r.tensor("grad." + tensor.name).values
      expectClose(Array(test.model.parameters.gradients(slot)), gradient, "∂L/∂" + tensor.name)
      // The first Adam step moves each parameter by about lr · sign(g); compare the moves
      // where g is clearly non-zero (elsewhere float32 noise may flip the sign of a 1e-9).
      let after = Array(test.model.parameters.values(slot)), expected = r.tensor("adam." + tensor.name).values
      let largest = gradient.map(abs).max() ?? 0
      var worst = 0.0
      for i in gradient.indices where abs(gradient[i]) > 1e-3 * largest {
        let moved = Double(after[i] - before[slot].values[i]), expectedMove = Double(expected[i] - before[slot].values[i])
        worst = max(worst, abs(moved - expectedMove))
      }
      #expect(worst <= 1e-3 * lr, "Adam step of \(tensor.name): off by \(worst)")
    }
  }

  func expectClose(_ found: Double, _ expected: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let error = abs(found - expected) / max(abs(expected), 1e-6)
    #expect(error <= tolerance, "\(what): \(found) vs PyTorch \(expected) (relative error \(error))", sourceLocation: sourceLocation)
  }

  func expectClose(_ found: [Float], _ expected: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(found.count == expected.count, "\(what): \(found.count) values vs \(expected.count)", sourceLocation: sourceLocation)
    let scale = Double(expected.map(abs).max() ?? 0)
    let worst = zip(found, expected).map { Double(abs($0 - $1)) }.max() ?? 0
    #expect(worst <= tolerance * max(scale, 1e-6), "\(what): max difference \(worst) of scale \(scale)", sourceLocation: sourceLocation)
  }

  @Test func mlpStepMatchesPyTorch() throws {
    check(try setUp("mlp", architecture: .mlp, width: 4, height: 4, channels: 1, hidden: 12))
  }

  @Test func convStepMatchesPyTorch() throws {
    check(try setUp("conv", architecture: .conv, width: 16, height: 16, channels: 3, convWidths: [4, 4, 8, 8]))
  }
}

/// A safetensors file of float32 tensors, as make_reference.py writes them.
struct ReferenceFile {
  let tensors: [(String, (shape: [Int], values: [Float]))]
  let scalars: [String: Any]

  init(_ name: String) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Reference/reference-\(name).safetensors")
    let bytes = [UInt8](try Data(contentsOf: url))
    let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    let header = try #require(
      try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
    let metadata = try #require(header["__metadata__"] as? [String: String])
    scalars = try #require(try JSONSerialization.jsonObject(with: Data((metadata["scalars"] ?? "").utf8)) as? [String: Any])
    var tensors: [(String, (shape: [Int], values: [Float]))] = []
    for (key, value) in header where key != "__metadata__" {
      let entry = try #require(value as? [String: Any])
      let shape = try #require(entry["shape"] as? [Int]), offsets = try #require(entry["data_offsets"] as? [Int])
      let start = 8 + headerLength + offsets[0], count = (offsets[1] - offsets[0]) / 4
      let values = (0..<count).map { i in
        Float(bitPattern: bytes[(start + 4 * i)..<(start + 4 * i + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) })
      }
      tensors.append((key, (shape, values)))
    }
    self.tensors = tensors
  }

  func tensor(_ name: String) -> (shape: [Int], values: [Float]) {
    tensors.first { $0.0 == name }?.1 ?? ([], [])
  }

  func scalar(_ name: String) -> Double { (scalars[name] as? Double) ?? (scalars[name] as? Int).map(Double.init) ?? .nan }
}
