import Foundation
import SegmaKit
import Testing
import TestSupport

/// Training end to end on tiny synthetic data: the loss falls, the labelled set is
/// learnt, a checkpoint resumes exactly, a model file reloads to the same outputs.
@Suite struct TrainingTests {
  /// Three classes of 4x4 gray images: a bright row 0, 1 or 2 on a noisy background.
  func syntheticData(count: Int, seed: UInt64) -> (TrainingData, ModelConfig) {
    var random = SeededGenerator(seed: seed)
    var images: [Float] = [], labels: [Int32] = []
    for i in 0..<count {
      let label = i % 3
      for y in 0..<4 {
        for _ in 0..<4 { images.append(y == label ? 0.9 : Float.random(in: 0...0.2, using: &random)) }
      }
      labels.append(Int32(label))
    }
    let labelled = Array(0..<12)
    let data = TrainingData(images: images, pixelCount: 16, labelledIndices: labelled, labels: labelled.map { labels[$0] })
    let config = ModelConfig(
      architecture: .mlp, imageWidth: 4, imageHeight: 4, channels: 1, latentDimension: 3,
      classNames: ["row0", "row1", "row2"], classWeights: [1 / 3, 1 / 3, 1 / 3], training: [:])
    return (data, config)
  }

  func makeTrainer(_ data: TrainingData, _ config: ModelConfig, batch: Int = 10) -> Trainer {
    let architecture = Architecture(.mlp, width: 4, height: 4, channels: 1, latentDimension: 3, classes: 3, hiddenWidth: 16)
    let model = SegmaModel(config: config, encoderBatch: batch + 12, decoderBatch: batch, architecture: architecture)
    model.initialize(seed: 3, initRadius: 2)
    var settings = TrainingSettings()
    settings.batchSize = batch
    settings.learningRate = 3e-3
    settings.seed = 3
    return Trainer(model: model, data: data, settings: settings)
  }

  @Test func lossFallsAndTheLabelledSetIsLearnt() {
    let (data, config) = syntheticData(count: 60, seed: 1)
    let trainer = makeTrainer(data, config)
    let first = trainer.trainEpoch { _, _ in }
    var last = first
    for _ in 0..<30 { last = trainer.trainEpoch { _, _ in } }
    let loss = { (m: StepMetrics) in m.reconstruction + 5 * m.logCramerWold + 10 * m.crossEntropy }
    #expect(loss(last) < loss(first) - 1, "loss \(loss(first)) -> \(loss(last))")
    #expect(last.reconstruction < first.reconstruction)
    #expect(last.labelledAccuracy == 1, "labelled accuracy \(last.labelledAccuracy)")
  }

  /// Two epochs in one go equal one epoch, a checkpoint, and a resumed second epoch.
  @Test func resumingFromACheckpointIsExact() throws {
    let (data, config) = syntheticData(count: 40, seed: 2)
    let straight = makeTrainer(data, config)
    _ = straight.trainEpoch { _, _ in }
    _ = straight.trainEpoch { _, _ in }

    let path = NSTemporaryDirectory() + "segma-resume-\(UUID().uuidString).ckpt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let first = makeTrainer(data, config)
    let summary = first.trainEpoch { _, _ in }
    try Checkpoint.write(first, to: path, summary: summary)
    let resumed = makeTrainer(data, config)
    try Checkpoint.restore(resumed, from: path)
    #expect(resumed.epoch == 1)
    _ = resumed.trainEpoch { _, _ in }
    #expect(Array(resumed.model.parameters.values) == Array(straight.model.parameters.values))
    #expect(Array(resumed.model.parameters.secondMoments) == Array(straight.model.parameters.secondMoments))
  }

  @Test func aCheckpointWithOtherSettingsIsRefused() throws {
    let (data, config) = syntheticData(count: 20, seed: 3)
    let trainer = makeTrainer(data, config)
    let path = NSTemporaryDirectory() + "segma-mismatch-\(UUID().uuidString).ckpt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint.write(trainer, to: path, summary: trainer.trainEpoch { _, _ in })
    let other = makeTrainer(data, config, batch: 5)
    #expect(throws: ModelFileError.self) { try Checkpoint.restore(other, from: path) }
  }

  @Test func aSavedModelReloadsToIdenticalOutputs() throws {
    let (data, config) = syntheticData(count: 20, seed: 4)
    let trainer = makeTrainer(data, config)
    _ = trainer.trainEpoch { _, _ in }
    let path = NSTemporaryDirectory() + "segma-model-\(UUID().uuidString).segma"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ModelFile.write(config: trainer.model.config, tensors: trainer.model.namedTensors(), to: path)
    let file = try ModelFile.read(path: path)
    let architecture = Architecture(.mlp, width: 4, height: 4, channels: 1, latentDimension: 3, classes: 3, hiddenWidth: 16)
    let reloaded = SegmaModel(config: file.config, encoderBatch: 8, decoderBatch: 8, architecture: architecture)
    try reloaded.load(file.tensors, path: path)
    let images = Array(data.images[0..<(8 * 16)])
    let a = images.withUnsafeBufferPointer { Array(trainer.model.encode($0, batch: 8)) }
    let b = images.withUnsafeBufferPointer { Array(reloaded.encode($0, batch: 8)) }
    #expect(a == b)
    let decodedA = a.withUnsafeBufferPointer { Array(trainer.model.decode($0, batch: 8)) }
    let decodedB = a.withUnsafeBufferPointer { Array(reloaded.decode($0, batch: 8)) }
    #expect(decodedA == decodedB)
    // A tensor of the wrong shape is named in the error.
    var broken = file.tensors
    broken[0] = NamedTensor(name: broken[0].name, shape: [1], values: [0])
    #expect(throws: ModelFileError.self) { try reloaded.load(broken, path: path) }
  }

  /// A conv model whose sides are not multiples of 16 is refused when read, before the
  /// architecture would trap on it.
  @Test func aConvModelWithBadSidesIsRefused() {
    let config = ModelConfig(
      architecture: .conv, imageWidth: 28, imageHeight: 28, channels: 1, latentDimension: 10,
      classNames: ["a", "b"], classWeights: [0.5, 0.5])
    let bytes = ModelFile.encode(config: config, tensors: [])
    #expect(throws: ModelFileError.self) { try ModelFile.decode(bytes, path: "bad.segma") }
  }
}
