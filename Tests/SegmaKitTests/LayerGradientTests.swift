import Numerics
import SegmaKit
import TestSupport
import Testing

/// Every layer's backward against central finite differences of the fake loss
/// L = Σ y·g with a seeded random g (so ∂L/∂y = g and one check covers the whole
/// backward), computed in Double from Float forward passes (STYLE §9).
@Suite struct LayerGradientTests {
  /// Checks `analytic` (the backward's gradient of some tensor) against finite
  /// differences of `loss` when perturbing `values`, at every index (or `maxChecks` spread out).
  func checkGradient(
    _ what: String, values: inout [Float], analytic: [Float], maxChecks: Int = 60, loss: ([Float]) -> Double,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let stride = max(1, values.count / maxChecks)
    var failures = 0
    for i in Swift.stride(from: 0, to: values.count, by: stride) {
      let numeric = centralDifference(of: loss, in: &values, \.self, at: i)
      if !Double(analytic[i]).isApproximatelyEqual(to: numeric, absoluteTolerance: 2e-3, relativeTolerance: 1e-2) {
        if failures == 0 {
          Issue.record("\(what)[\(i)]: backward \(analytic[i]), finite difference \(numeric)", sourceLocation: sourceLocation)
        }
        failures += 1
      }
    }
    #expect(failures == 0, "\(what): \(failures) mismatches", sourceLocation: sourceLocation)
  }

  /// Forward of `layer` as a one-layer network, then L = Σ y·g.
  func fakeLoss(_ network: Network, _ input: [Float], batch: Int, parameters: ParameterStore, g: [Float]) -> Double {
    input.withUnsafeBufferPointer { x in
      let y = network.forward(x, batch: batch, parameters: parameters)
      var sum = 0.0
      for i in 0..<g.count { sum += Double(y[i]) * Double(g[i]) }
      return sum
    }
  }

  /// Runs the full check for a one-layer network: gradients of the input and of every parameter.
  func checkLayer(_ layer: Layer, layout: [(name: String, shape: [Int])], inputSize: Int, outputSize: Int, batch: Int, seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let parameters = ParameterStore(layout: layout)
    for i in 0..<parameters.count { parameters.values[i] = Float.random(in: -0.5...0.5, using: &random) }
    let network = Network(layers: [layer], maxBatch: batch)
    var input = (0..<(batch * inputSize)).map { _ in Float.random(in: -1...1, using: &random) }
    let g = (0..<(batch * outputSize)).map { _ in Float.random(in: -1...1, using: &random) }
    _ = fakeLoss(network, input, batch: batch, parameters: parameters, g: g)
    // Backward overwrites every gradient: NaN left in one would survive an accumulation.
    var dInput = [Float](repeating: .nan, count: input.count)
    parameters.gradients.update(repeating: .nan)
    input.withUnsafeBufferPointer { x in
      network.forward(x, batch: batch, parameters: parameters)
      _ = network.dOutput.update(fromContentsOf: g)
      dInput.withUnsafeMutableBufferPointer { network.backward(batch: batch, parameters: parameters, dInput: $0) }
    }
    checkGradient("dx", values: &input, analytic: dInput) { fakeLoss(network, $0, batch: batch, parameters: parameters, g: g) }
    for (slot, tensor) in parameters.slots.enumerated() {
      let analytic = Array(parameters.gradients(slot))
      let original = Array(parameters.values(slot))
      var values = original
      checkGradient("d" + tensor.name, values: &values, analytic: analytic) { perturbed in
        _ = parameters.values(slot).update(fromContentsOf: perturbed)
        defer { _ = parameters.values(slot).update(fromContentsOf: original) }
        return fakeLoss(network, input, batch: batch, parameters: parameters, g: g)
      }
    }
  }

  @Test func linear() {
    let layer = Layer.linear(Linear(inputs: 7, outputs: 5, weightSlot: 0, biasSlot: 1))
    checkLayer(layer, layout: [("w", [5, 7]), ("b", [5])], inputSize: 7, outputSize: 5, batch: 3, seed: 1)
  }

  @Test func conv2D() {
    let conv = Conv2D(inChannels: 2, outChannels: 3, height: 6, width: 4, weightSlot: 0, biasSlot: 1)
    checkLayer(.conv(conv), layout: [("w", [3, 2, 4, 4]), ("b", [3])], inputSize: conv.inputSize,
               outputSize: conv.outputSize, batch: 2, seed: 2)
  }

  /// A 2x2 input: every kernel column but one of each row falls in the padding.
  @Test func conv2DOnTheSmallestSide() {
    let conv = Conv2D(inChannels: 2, outChannels: 3, height: 2, width: 2, weightSlot: 0, biasSlot: 1)
    checkLayer(.conv(conv), layout: [("w", [3, 2, 4, 4]), ("b", [3])], inputSize: conv.inputSize,
               outputSize: conv.outputSize, batch: 2, seed: 5)
  }

  @Test func convTranspose2D() {
    let conv = ConvTranspose2D(inChannels: 3, outChannels: 2, height: 3, width: 2, weightSlot: 0, biasSlot: 1)
    checkLayer(.convTranspose(conv), layout: [("w", [3, 2, 4, 4]), ("b", [2])], inputSize: conv.inputSize,
               outputSize: conv.outputSize, batch: 2, seed: 3)
  }

  /// ReLU inside a network (after a linear layer, so its input is not a fixed point);
  /// inputs near 0 are where finite differences straddle the kink, so the seed keeps them away.
  @Test func reluAfterLinear() {
    let layers: [Layer] = [.linear(Linear(inputs: 4, outputs: 6, weightSlot: 0, biasSlot: 1)), .relu(width: 6)]
    let parameters = ParameterStore(layout: [("w", [6, 4]), ("b", [6])])
    var generator = SeededGenerator(seed: 4)
    for i in 0..<parameters.count { parameters.values[i] = Float.random(in: -1...1, using: &generator) }
    let network = Network(layers: layers, maxBatch: 3)
    var input = (0..<12).map { _ in Float.random(in: -1...1, using: &generator) }
    let g = (0..<18).map { _ in Float.random(in: -1...1, using: &generator) }
    var dInput = [Float](repeating: 0, count: 12)
    input.withUnsafeBufferPointer { x in
      network.forward(x, batch: 3, parameters: parameters)
      _ = network.dOutput.update(fromContentsOf: g)
      dInput.withUnsafeMutableBufferPointer { network.backward(batch: 3, parameters: parameters, dInput: $0) }
    }
    checkGradient("relu dx", values: &input, analytic: dInput) { fakeLoss(network, $0, batch: 3, parameters: parameters, g: g) }
  }

  @Test func reconstructionWithFusedSigmoid() {
    var generator = SeededGenerator(seed: 5)
    let (batch, pixels) = (3, 8)
    var logits = (0..<(batch * pixels)).map { _ in Float.random(in: -3...3, using: &generator) }
    let target = (0..<(batch * pixels)).map { _ in Float.random(in: 0...1, using: &generator) }
    var output = [Float](repeating: 0, count: logits.count), dLogits = output
    func loss(_ logits: [Float]) -> Double {
      var scratch = [Float](repeating: 0, count: logits.count)
      return logits.withUnsafeBufferPointer { l in
        target.withUnsafeBufferPointer { t in
          scratch.withUnsafeMutableBufferPointer {
            Double(Reconstruction.forward(logits: l, target: t, output: $0, count: l.count, batch: batch))
          }
        }
      }
    }
    // REC by hand: mean over the batch of the per-image sum of squared errors.
    var expected = 0.0
    for i in logits.indices {
      let error = 1 / (1 + Double.exp(-Double(logits[i]))) - Double(target[i])
      expected += error * error / Double(batch)
    }
    #expect(abs(loss(logits) - expected) < 1e-5)
    logits.withUnsafeBufferPointer { l in
      target.withUnsafeBufferPointer { t in
        output.withUnsafeMutableBufferPointer { o in
          _ = Reconstruction.forward(logits: l, target: t, output: o, count: l.count, batch: batch)
          dLogits.withUnsafeMutableBufferPointer {
            Reconstruction.backward(output: FloatView(o), target: t, dLogits: $0, count: l.count, batch: batch)
          }
        }
      }
    }
    checkGradient("dLogits", values: &logits, analytic: dLogits, loss: loss)
  }
}
