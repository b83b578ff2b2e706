/// A SeGMA model: encoder, decoder, the mixture's means, and one parameter store.
///
/// Goals: one object that training, the latent operations and the model file
/// share; buffers sized once for the largest batch; initialisation and every
/// forward pass deterministic for a given seed and thread count.
public final class SegmaModel {
  public let config: ModelConfig
  public let architecture: Architecture
  public let parameters: ParameterStore
  public let encoder: Network
  public let decoder: Network
  /// log p_k of the fixed class proportions.
  public let logWeights: [Float]
  /// Decoded pixels of the last `decode`, (batch, P) in [0, 1].
  private let pixels: MutableFloatView

  /// A model with zero parameters; call `initialize` or `load`.
  ///
  /// - Parameters:
  ///   - encoderBatch: most images one `encode` call takes (training encodes the
  ///     unlabelled and the labelled batch together).
  ///   - decoderBatch: most latents one `decode` call takes.
  ///   - architecture: the layers; by default the standard one for `config`.
  public init(
    config: ModelConfig, encoderBatch: Int = 256, decoderBatch: Int = 256, architecture: Architecture? = nil
  ) {
    self.config = config
    self.architecture =
      architecture
      ?? Architecture(
        config.architecture, width: config.imageWidth, height: config.imageHeight, channels: config.channels,
        latentDimension: config.latentDimension, classes: config.classNames.count)
    parameters = ParameterStore(layout: self.architecture.layout)
    encoder = Network(layers: self.architecture.encoderLayers, maxBatch: encoderBatch)
    decoder = Network(layers: self.architecture.decoderLayers, maxBatch: decoderBatch)
    logWeights = config.classWeights.map { logf($0) }
    pixels = .allocate(capacity: decoderBatch * decoder.outputSize)
    pixels.initialize(repeating: 0)
  }

  deinit { pixels.deallocate() }

  public var latentDimension: Int { config.latentDimension }
  public var classCount: Int { config.classNames.count }
  /// Floats per image: channels × height × width, planar.
  public var pixelCount: Int { encoder.inputSize }
  public var means: MutableFloatView { parameters.values(architecture.meansSlot) }

  /// PyTorch's default initialisation for weights and biases, U(−1/√fan_in, 1/√fan_in),
  /// and the means of DESIGN §1: dimension d belongs to component d mod K, where
  /// m_k[d] = r·K/D, else 0, plus N(0, 10⁻⁶) noise.
  public func initialize(seed: UInt64, initRadius: Float) {
    var random = SeededRandom(seed: seed)
    for (slot, fanIn) in architecture.fanIns.enumerated() where slot != architecture.meansSlot {
      let bound = 1 / Float(fanIn).squareRoot()
      let values = parameters.values(slot)
      for i in values.indices { values[i] = Float.random(in: -bound..<bound, using: &random) }
    }
    let (k, d) = (classCount, latentDimension)
    let means = self.means
    for component in 0..<k {
      for dimension in 0..<d {
        let centre: Float = dimension % k == component ? initRadius * Float(k) / Float(d) : 0
        means[component * d + dimension] = centre + 1e-3 * random.normal()
      }
    }
  }

  /// Latents (batch, D) of images (batch, P); a view into the encoder's buffer,
  /// valid until the next `encode`.
  @discardableResult
  public func encode(_ images: FloatView, batch: Int) -> MutableFloatView {
    let latents = encoder.forward(images, batch: batch, parameters: parameters)
    return MutableFloatView(rebasing: latents[0..<(batch * latentDimension)])
  }

  /// Images (batch, P) in [0, 1] decoded from latents (batch, D); a view valid until
  /// the next `decode`.
  public func decode(_ latents: FloatView, batch: Int) -> MutableFloatView {
    let logits = decoder.forward(latents, batch: batch, parameters: parameters)
    Activation.sigmoidForward(x: FloatView(logits), y: pixels, count: batch * pixelCount)
    return MutableFloatView(rebasing: pixels[0..<(batch * pixelCount)])
  }

  /// The parameters as named tensors, in layout order, for the model file.
  public func namedTensors() -> [NamedTensor] {
    parameters.slots.indices.map { slot in
      NamedTensor(name: parameters.slots[slot].name, shape: parameters.slots[slot].shape, values: Array(parameters.values(slot)))
    }
  }

  /// The model a file holds: its tensors are checked against the standard architecture
  /// for `config` before the model's buffers are allocated, so a header claiming huge
  /// sizes fails cleanly. A checkpoint's Adam moments (`adam.*`) are allowed: a
  /// checkpoint works as a model too.
  ///
  /// - Throws: `ModelFileError` naming `path`: `missingTensor`, `unexpectedTensor` or `wrongShape`.
  public convenience init(
    config: ModelConfig, tensors: [NamedTensor], path: String, encoderBatch: Int = 256, decoderBatch: Int = 256
  ) throws(ModelFileError) {
    let architecture = Architecture(
      config.architecture, width: config.imageWidth, height: config.imageHeight, channels: config.channels,
      latentDimension: config.latentDimension, classes: config.classCount)
    try ModelFile.validate(tensors.filter { !$0.name.hasPrefix("adam.") }, against: architecture.layout, path: path)
    self.init(config: config, encoderBatch: encoderBatch, decoderBatch: decoderBatch, architecture: architecture)
    try load(tensors, path: path)
  }

  /// Copies the tensors this architecture needs from `tensors`, checking every shape.
  ///
  /// - Throws: `ModelFileError.missingTensor` or `.wrongShape` naming `path`.
  public func load(_ tensors: [NamedTensor], path: String) throws(ModelFileError) {
    var byName: [String: NamedTensor] = [:]
    for tensor in tensors { byName[tensor.name] = tensor }
    for (slot, expected) in parameters.slots.enumerated() {
      guard let tensor = byName[expected.name] else { throw .missingTensor(path: path, tensor: expected.name) }
      guard tensor.shape == expected.shape, tensor.values.count == expected.count else {
        throw .wrongShape(path: path, tensor: expected.name, expected: expected.shape, found: tensor.shape)
      }
      _ = parameters.values(slot).update(fromContentsOf: tensor.values)
    }
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SegmaModel {
  /// The Gaussian classifier's most likely class for each of `count` images (count, P).
  public func predictedClasses(of images: [Float], count: Int) -> [Int] {
    let latents = images.withUnsafeBufferPointer { Array(encode($0, batch: count)) }
    let d = latentDimension
    var probabilities = [Float](repeating: 0, count: classCount)
    return (0..<count).map { i in
      latents[(i * d)..<((i + 1) * d)].withUnsafeBufferPointer { latent in
        logWeights.withUnsafeBufferPointer { weights in
          probabilities.withUnsafeMutableBufferPointer {
            GaussianClassifier.probabilities(of: latent, means: FloatView(means), logWeights: weights, into: $0)
          }
        }
      }
      return probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
    }
  }
}
