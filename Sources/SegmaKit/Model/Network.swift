/// A feed-forward stack of layers with its activation buffers, allocated once.
///
/// Goals: explicit forward and backward per layer (llm.c), buffers sized for the
/// largest batch at construction and reused every step, no `any Layer` in the
/// loop (a closed enum instead), and a short last batch using a prefix.

/// One step of a network.
public enum Layer: Sendable {
  case linear(Linear)
  case relu(width: Int)
  case conv(Conv2D)
  case convTranspose(ConvTranspose2D)

  /// Floats per sample in and out.
  var inputSize: Int {
    switch self {
    case .linear(let l): l.inputs
    case .relu(let width): width
    case .conv(let c): c.inputSize
    case .convTranspose(let c): c.inputSize
    }
  }

  var outputSize: Int {
    switch self {
    case .linear(let l): l.outputs
    case .relu(let width): width
    case .conv(let c): c.outputSize
    case .convTranspose(let c): c.outputSize
    }
  }

  /// Scratch floats per worker.
  var scratchSize: Int {
    switch self {
    case .linear, .relu: 0
    case .conv(let c): c.scratchSize
    case .convTranspose(let c): c.scratchSize
    }
  }
}

public final class Network {
  public let layers: [Layer]
  public let maxBatch: Int
  /// outputs[i] is layer i's output, (maxBatch, layers[i].outputSize).
  private let outputs: [MutableFloatView]
  /// dOutputs[i] is the gradient of outputs[i].
  private let dOutputs: [MutableFloatView]
  private let scratch: MutableFloatView
  private let block: MutableFloatView
  /// The input of the last forward, kept for backward.
  private var input: FloatView?

  public init(layers: [Layer], maxBatch: Int) {
    precondition(!layers.isEmpty && maxBatch > 0)
    for (a, b) in zip(layers, layers.dropFirst()) { precondition(a.outputSize == b.inputSize, "layer sizes do not chain") }
    self.layers = layers
    self.maxBatch = maxBatch
    let sizes = layers.map { $0.outputSize * maxBatch }
    let scratchSize = ComputeThreads.maximum * (layers.map(\.scratchSize).max() ?? 0)
    let block = MutableFloatView.allocateZeroedPages(count: 2 * sizes.reduce(0, +) + scratchSize)
    self.block = block
    var offset = 0
    func take(_ count: Int) -> MutableFloatView {
      defer { offset += count }
      return MutableFloatView(rebasing: block[offset..<(offset + count)])
    }
    outputs = sizes.map(take)
    dOutputs = sizes.map(take)
    scratch = take(scratchSize)
  }

  deinit { block.deallocateZeroedPages() }

  public var inputSize: Int { layers[0].inputSize }
  public var outputSize: Int { layers[layers.count - 1].outputSize }

  /// The last output of `forward`, (batch, outputSize).
  public var output: MutableFloatView { outputs[outputs.count - 1] }
  /// Where the caller writes ∂L/∂output before `backward`.
  public var dOutput: MutableFloatView { dOutputs[dOutputs.count - 1] }

  /// Runs every layer on x (batch, inputSize); `x` must stay valid until `backward`.
  @discardableResult
  public func forward(_ x: FloatView, batch: Int, parameters: ParameterStore) -> MutableFloatView {
    precondition(batch <= maxBatch && x.count >= batch * inputSize, "network forward: batch too large")
    input = x
    for (i, layer) in layers.enumerated() {
      let source = i == 0 ? x : FloatView(outputs[i - 1])
      let target = outputs[i]
      switch layer {
      case .linear(let linear): linear.forward(x: source, y: target, batch: batch, parameters: parameters)
      case .relu(let width): Activation.reluForward(x: source, y: target, count: batch * width)
      case .conv(let conv): conv.forward(x: source, y: target, batch: batch, parameters: parameters, scratch: scratch)
      case .convTranspose(let conv):
        conv.forward(x: source, y: target, batch: batch, parameters: parameters, scratch: scratch)
      }
    }
    return output
  }

  /// Back-propagates `dOutput` through every layer, overwriting the gradients of the
  /// layers' parameters and, if `dInput` is given, ∂L/∂input.
  public func backward(batch: Int, parameters: ParameterStore, dInput: MutableFloatView?) {
    guard let input else { preconditionFailure("backward before forward") }
    for i in stride(from: layers.count - 1, through: 0, by: -1) {
      let x = i == 0 ? input : FloatView(outputs[i - 1])
      let dx = i == 0 ? dInput : dOutputs[i - 1]
      let dy = FloatView(dOutputs[i])
      switch layers[i] {
      case .linear(let linear): linear.backward(dy: dy, x: x, dx: dx, batch: batch, parameters: parameters)
      case .relu(let width):
        if let dx { Activation.reluBackward(dy: dy, y: FloatView(outputs[i]), dx: dx, count: batch * width) }
      case .conv(let conv): conv.backward(dy: dy, x: x, dx: dx, batch: batch, parameters: parameters, scratch: scratch)
      case .convTranspose(let conv):
        conv.backward(dy: dy, x: x, dx: dx, batch: batch, parameters: parameters, scratch: scratch)
      }
    }
  }
}
