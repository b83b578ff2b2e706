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
