import SegmaKit
import TestSupport
import Testing

/// Splitting work over two workers (`ComputeThreads`) gives the one-worker result: the
/// GEMM split by rows and by columns, and the convolutions' chunks and per-worker
/// gradient shares. The gradient checks run on one worker; this ties the two together.
/// (On a one-core machine both runs use one worker and the comparison is trivial.)
@Suite struct ParallelTests {
  /// Forward and backward of `layers` on `threads` workers: output, ∂input and parameter
  /// gradients, for the images `images` of a fixed random batch of `batch`.
  func run(
    _ layers: [Layer], layout: [(name: String, shape: [Int])], batch: Int, threads: Int, images: Range<Int>? = nil
  ) -> [[Float]] {
    ComputeThreads.with(threads) {
      var random = SeededGenerator(seed: 11)
      let parameters = ParameterStore(layout: layout)
      for i in 0..<parameters.count { parameters.values[i] = Float.random(in: -0.5...0.5, using: &random) }
      let images = images ?? 0..<batch
      let network = Network(layers: layers, maxBatch: images.count)
      let (inputSize, outputSize) = (network.inputSize, network.outputSize)
      let input = Array((0..<(batch * inputSize)).map { _ in Float.random(in: -1...1, using: &random) }[
        (images.lowerBound * inputSize)..<(images.upperBound * inputSize)])
      let g = Array((0..<(batch * outputSize)).map { _ in Float.random(in: -1...1, using: &random) }[
        (images.lowerBound * outputSize)..<(images.upperBound * outputSize)])
      var dInput = [Float](repeating: .nan, count: input.count)
      let output = input.withUnsafeBufferPointer { x in
        let y = Array(network.forward(x, batch: images.count, parameters: parameters).prefix(g.count))
        _ = network.dOutput.update(fromContentsOf: g)
        dInput.withUnsafeMutableBufferPointer { network.backward(batch: images.count, parameters: parameters, dInput: $0) }
        return y
      }
      return [output, dInput, Array(parameters.gradients)]
    }
  }

  func expectClose(_ one: [[Float]], _ two: [[Float]]) {
    for (name, (a, b)) in zip(["output", "dInput", "gradients"], zip(one, two)) {
      let scale = a.map(abs).max() ?? 1
      let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
      #expect(a.count == b.count && worst <= 1e-5 * scale, "\(name): differs by \(worst) of \(scale)")
    }
  }

  @Test func linearLayersLargeEnoughToSplit() {
    let layers: [Layer] = [
      .linear(Linear(inputs: 300, outputs: 200, weightSlot: 0, biasSlot: 1)), .relu(width: 200),
      .linear(Linear(inputs: 200, outputs: 40, weightSlot: 2, biasSlot: 3)),
    ]
    let layout: [(name: String, shape: [Int])] = [("w0", [200, 300]), ("b0", [200]), ("w1", [40, 200]), ("b1", [40])]
    expectClose(run(layers, layout: layout, batch: 90, threads: 1), run(layers, layout: layout, batch: 90, threads: 2))
  }

  /// 400 images of 400 outputs: the bias addition splits by rows and the bias gradient
  /// by columns (each above its 32,768-element grain).
  @Test func biasPassesLargeEnoughToSplit() {
    let layers: [Layer] = [.linear(Linear(inputs: 30, outputs: 400, weightSlot: 0, biasSlot: 1))]
    let layout: [(name: String, shape: [Int])] = [("w", [400, 30]), ("b", [400])]
    expectClose(run(layers, layout: layout, batch: 400, threads: 1), run(layers, layout: layout, batch: 400, threads: 2))
  }

  /// 20,000 pixels split over two workers: the same σ and gradient, and a loss whose two
  /// Double partial sums add up to the one-worker sum.
  @Test func reconstructionLossSplits() {
    var random = SeededGenerator(seed: 5)
    let count = 20_000
    let logits = (0..<count).map { _ in Float.random(in: -6...6, using: &random) }
    let target = (0..<count).map { _ in Float.random(in: 0...1, using: &random) }
    func run(threads: Int) -> (loss: Float, output: [Float], dLogits: [Float]) {
      var output = [Float](repeating: .nan, count: count), dLogits = [Float](repeating: .nan, count: count)
      let loss = ComputeThreads.with(threads) {
        logits.withUnsafeBufferPointer { l in
          target.withUnsafeBufferPointer { t in
            output.withUnsafeMutableBufferPointer { o in
              let loss = Reconstruction.forward(logits: l, target: t, output: o, count: count, batch: 10)
              dLogits.withUnsafeMutableBufferPointer {
                Reconstruction.backward(output: FloatView(o), target: t, dLogits: $0, count: count, batch: 10)
              }
              return loss
            }
          }
        }
      }
      return (loss, output, dLogits)
    }
    let (one, two) = (run(threads: 1), run(threads: 2))
    #expect(one.output == two.output && one.dLogits == two.dLogits)
    #expect(abs(one.loss - two.loss) <= 1e-6 * one.loss, "\(one.loss) against \(two.loss)")
    #expect(!one.dLogits.contains { $0.isNaN } && one.loss > 0)
  }

  /// 64x64 inputs of 2 channels give column matrices of 32 x 1,024 floats per image,
  /// two images to a chunk: with 5 images one worker has one chunk and the other two,
  /// the last one short.
  @Test func convolutionsOverSeveralChunksAndWorkers() {
    let layers: [Layer] = [
      .conv(Conv2D(inChannels: 2, outChannels: 3, height: 64, width: 64, weightSlot: 0, biasSlot: 1)),
      .relu(width: 3 * 32 * 32),
      .convTranspose(ConvTranspose2D(inChannels: 3, outChannels: 2, height: 32, width: 32, weightSlot: 2, biasSlot: 3)),
    ]
    let layout: [(name: String, shape: [Int])] = [("w0", [3, 2, 4, 4]), ("b0", [3]), ("w1", [3, 2, 4, 4]), ("b1", [2])]
    let serial = run(layers, layout: layout, batch: 5, threads: 1)
    expectClose(serial, run(layers, layout: layout, batch: 5, threads: 2))
    // The chunks' gradient shares add up to the sum over images run one at a time.
    let single = (0..<5).map { run(layers, layout: layout, batch: 5, threads: 1, images: $0..<($0 + 1)) }
    let summed = [
      single.flatMap { $0[0] }, single.flatMap { $0[1] },
      single.map { $0[2] }.reduce(into: [Float](repeating: 0, count: serial[2].count)) { sum, g in
        for i in sum.indices { sum[i] += g[i] }
      },
    ]
    expectClose(serial, summed)
    // The spinners split the work as Dispatch does, so they give the same bits.
    let dispatched = run(layers, layout: layout, batch: 5, threads: 2)
    let spun = ComputeThreads.with(2) { ComputeThreads.keepingCoresAwake { run(layers, layout: layout, batch: 5, threads: 2) } }
    #expect(spun == dispatched)
  }
}
