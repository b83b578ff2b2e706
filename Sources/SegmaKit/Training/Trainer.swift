#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SeGMA training (DESIGN §1-2): each step encodes an unlabelled and a labelled batch
/// together, decodes the unlabelled one, and minimises
///
/// ```
/// L = REC + λ_cw · log d²(E(X_u), GMM) + λ_ce · CE(labelled)
/// ```
/// with Adam and global-norm clipping.
///
/// Goals, in order: the loss and its gradient exactly as specified (checked against
/// PyTorch), deterministic for a seed and thread count (and across `--resume`), no
/// allocation inside a step, then speed.

/// Hyper-parameters of a run.
public struct TrainingSettings: Sendable, Equatable {
  public var batchSize = 100
  public var learningRate: Float = 3e-4
  public var cwWeight: Float = 5
  public var ceWeight: Float = 10
  public var seed: UInt64 = 1
  public var initRadius: Float = 2
  public init() {}
}

/// Training images in memory, (count, P) planar floats in [0, 1], and the labelled subset.
public struct TrainingData: Sendable {
  public let images: [Float]
  public let count: Int
  public let pixelCount: Int
  /// Indices into `images` of the labelled examples, and their classes.
  public let labelledIndices: [Int]
  public let labels: [Int32]

  public init(images: [Float], pixelCount: Int, labelledIndices: [Int], labels: [Int32]) {
    precondition(pixelCount > 0 && images.count % pixelCount == 0 && labelledIndices.count == labels.count)
    (self.images, self.pixelCount, self.labelledIndices, self.labels) = (images, pixelCount, labelledIndices, labels)
    count = images.count / pixelCount
  }
}

/// The loss terms of one step (or averages over an epoch), unweighted:
/// the loss is `reconstruction + λ_cw · logCramerWold + λ_ce · crossEntropy`.
public struct StepMetrics: Sendable {
  public var reconstruction: Float = 0
  /// log d² of the unlabelled latents against the mixture.
  public var logCramerWold: Float = 0
  /// Mean cross-entropy of the labelled batch under the Gaussian classifier.
  public var crossEntropy: Float = 0
  public var labelledCorrect = 0
  public var labelledCount = 0
  public var unlabelledCount = 0

  /// The fraction of labelled examples the classifier got right.
  public var labelledAccuracy: Double { labelledCount > 0 ? Double(labelledCorrect) / Double(labelledCount) : 0 }
}

public final class Trainer {
  public let model: SegmaModel
  public let data: TrainingData
  public let settings: TrainingSettings
  public var optimizer: Adam
  /// Epochs completed; the next `trainEpoch` runs epoch `epoch + 1`.
  public private(set) var epoch = 0
  /// The generator that orders the next epoch; saved in checkpoints.
  public private(set) var random: SeededRandom

  private let cramerWold: CramerWold
  private let classifier: GaussianClassifier
  private let labelledBatch: Int
  private let inputs: MutableFloatView
  private let reconstructions: MutableFloatView
  private let batchLabels: UnsafeMutableBufferPointer<Int32>
  private let classWeights: MutableFloatView
  private let logWeights: MutableFloatView

  public init(model: SegmaModel, data: TrainingData, settings: TrainingSettings) {
    precondition(data.pixelCount == model.pixelCount, "images do not match the model")
    precondition(data.count > 0, "no training images")
    self.model = model
    self.data = data
    self.settings = settings
    optimizer = Adam(learningRate: settings.learningRate)
    random = SeededRandom(seed: settings.seed ^ 0x5EC7_A000)
    labelledBatch = min(settings.batchSize, data.labelledIndices.count)
    let (k, d, p) = (model.classCount, model.latentDimension, model.pixelCount)
    let rows = settings.batchSize + labelledBatch
    precondition(model.encoder.maxBatch >= rows && model.decoder.maxBatch >= settings.batchSize)
    cramerWold = CramerWold(maxBatch: settings.batchSize, dimension: d, components: k)
    classifier = GaussianClassifier(maxBatch: max(1, labelledBatch), dimension: d, components: k)
    inputs = .allocate(capacity: rows * p)
    reconstructions = .allocate(capacity: settings.batchSize * p)
    batchLabels = .allocate(capacity: max(1, labelledBatch))
    classWeights = .allocate(capacity: k)
    logWeights = .allocate(capacity: k)
    _ = classWeights.initialize(from: model.config.classWeights)
    _ = logWeights.initialize(from: model.logWeights)
  }

  deinit {
    inputs.deallocate()
    reconstructions.deallocate()
    batchLabels.deallocate()
    classWeights.deallocate()
    logWeights.deallocate()
  }

  public var stepsPerEpoch: Int { (data.count + settings.batchSize - 1) / settings.batchSize }

  /// Continues from a checkpoint's counters.
  public func restore(epoch: Int, random: SeededRandom) {
    self.epoch = epoch
    self.random = random
  }

  /// Runs one epoch: the images reshuffled, every one seen once as unlabelled; the
  /// labelled set reshuffled and cycled. `onStep` gets each step's metrics.
  /// An error thrown by `onStep` ends the epoch early (the counters do not advance).
  public func trainEpoch(onStep: (_ step: Int, _ metrics: StepMetrics) throws -> Void) rethrows -> StepMetrics {
    var order = Array(0..<data.count)
    order.shuffle(using: &random)
    var labelledOrder = Array(data.labelledIndices.indices)
    labelledOrder.shuffle(using: &random)
    var labelledCursor = 0
    var sum = StepMetrics()
    var labelled: [Int] = []
    labelled.reserveCapacity(labelledBatch)
    for step in 0..<stepsPerEpoch {
      let batch = order[(step * settings.batchSize)..<min((step + 1) * settings.batchSize, data.count)]
      labelled.removeAll(keepingCapacity: true)
      for _ in 0..<labelledBatch {
        if labelledCursor == labelledOrder.count {
          labelledOrder.shuffle(using: &random)
          labelledCursor = 0
        }
        labelled.append(labelledOrder[labelledCursor])
        labelledCursor += 1
      }
      let metrics = self.step(unlabelled: batch, labelled: labelled)
      sum.reconstruction += metrics.reconstruction * Float(metrics.unlabelledCount)
      sum.logCramerWold += metrics.logCramerWold * Float(metrics.unlabelledCount)
      sum.crossEntropy += metrics.crossEntropy * Float(metrics.labelledCount)
      sum.labelledCorrect += metrics.labelledCorrect
      sum.labelledCount += metrics.labelledCount
      sum.unlabelledCount += metrics.unlabelledCount
      try onStep(step, metrics)
    }
    epoch += 1
    sum.reconstruction /= Float(sum.unlabelledCount)
    sum.logCramerWold /= Float(sum.unlabelledCount)
    sum.crossEntropy /= Float(max(1, sum.labelledCount))
    return sum
  }

  /// One optimisation step on the given images (indices into `data.images`; labelled
  /// ones index `data.labelledIndices`).
  public func step(unlabelled: ArraySlice<Int>, labelled: [Int]) -> StepMetrics {
    let (p, d) = (model.pixelCount, model.latentDimension)
    let (bu, bl) = (unlabelled.count, labelled.count)
    // The images are gathered by the workers: on one core the copy was 1% of an mlp step.
    let labelledIndices = data.labelledIndices
    data.images.withUnsafeBufferPointer { images -> Void in
      parallelParts(bu + bl, grain: 32) { _, rows in
        for row in rows {
          let index = row < bu ? unlabelled[unlabelled.startIndex + row] : labelledIndices[labelled[row - bu]]
          (inputs.baseAddress! + row * p).update(from: images.baseAddress! + index * p, count: p)
        }
      }
    }
    for (row, which) in labelled.enumerated() { batchLabels[row] = data.labels[which] }
    let parameters = model.parameters
    // The layers overwrite their gradients in backward; only the means' gradient,
    // which the two loss terms add to, starts from zero.
    let dMeans = parameters.gradients(model.architecture.meansSlot)
    dMeans.update(repeating: 0)
    let latents = model.encode(FloatView(inputs), batch: bu + bl)
    let dLatents = model.encoder.dOutput
    MutableFloatView(rebasing: dLatents[0..<((bu + bl) * d)]).update(repeating: 0)
    let means = FloatView(model.means)
    var metrics = StepMetrics()
    metrics.unlabelledCount = bu
    metrics.labelledCount = bl

    // Reconstruction of the unlabelled batch.
    let unlabelledLatents = FloatView(rebasing: latents[0..<(bu * d)])
    let logits = model.decoder.forward(unlabelledLatents, batch: bu, parameters: parameters)
    let target = FloatView(rebasing: inputs[0..<(bu * p)])
    metrics.reconstruction = Reconstruction.forward(
      logits: FloatView(logits), target: target, output: reconstructions, count: bu * p, batch: bu)
    Reconstruction.backward(
      output: FloatView(reconstructions), target: target, dLogits: model.decoder.dOutput, count: bu * p, batch: bu)
    model.decoder.backward(batch: bu, parameters: parameters, dInput: MutableFloatView(rebasing: dLatents[0..<(bu * d)]))

    // The unlabelled latents against the mixture: λ · log d², so ∂/∂d² = λ / d².
    let distance = cramerWold.forward(latents: unlabelledLatents, count: bu, means: means, weights: FloatView(classWeights))
    metrics.logCramerWold = Float(log(distance))
    cramerWold.backward(
      scale: settings.cwWeight / Float(distance), dLatents: MutableFloatView(rebasing: dLatents[0..<(bu * d)]),
      dMeans: dMeans)

    // The labelled latents through the Gaussian classifier.
    if bl > 0 {
      let labelledLatents = FloatView(rebasing: latents[(bu * d)..<((bu + bl) * d)])
      let (loss, correct) = classifier.forward(
        latents: labelledLatents, labels: UnsafeBufferPointer(batchLabels), count: bl, means: means,
        logWeights: FloatView(logWeights))
      metrics.crossEntropy = loss
      metrics.labelledCorrect = correct
      classifier.backward(
        scale: settings.ceWeight, dLatents: MutableFloatView(rebasing: dLatents[(bu * d)..<((bu + bl) * d)]),
        dMeans: dMeans)
    }

    model.encoder.backward(batch: bu + bl, parameters: parameters, dInput: nil)
    optimizer.step(parameters)
    return metrics
  }
}
