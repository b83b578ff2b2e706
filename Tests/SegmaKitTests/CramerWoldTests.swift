import Numerics
import SegmaKit
import TestSupport
import Testing

/// `CramerWold` against d² written plainly in Double from DESIGN §1 (every pair, no
/// symmetry, no cache), its gradient against central differences of that reference and of
/// its own forward (STYLE §9), and the identities the loss relies on.
@Suite struct CramerWoldTests {
  /// One set of inputs: latents (N, D), means (K, D), weights (K) summing to 1.
  struct Problem {
    var latents: [Float]
    var means: [Float]
    var weights: [Float]
    let count: Int
    let dimension: Int
    let components: Int

    /// Uniform latents and means in ±`spread`, random positive weights normalised to 1.
    static func random(count: Int, dimension: Int, components: Int, spread: Float = 1.5, seed: UInt64) -> Problem {
      var random = SeededGenerator(seed: seed)
      let latents = (0..<(count * dimension)).map { _ in Float.random(in: -spread...spread, using: &random) }
      let means = (0..<(components * dimension)).map { _ in Float.random(in: -spread...spread, using: &random) }
      let raw = (0..<components).map { _ in Float.random(in: 0.2...1, using: &random) }
      let total = raw.reduce(0, +)
      return Problem(
        latents: latents, means: means, weights: raw.map { $0 / total }, count: count, dimension: dimension,
        components: components)
    }

    /// d² in Double, term by term from the formula; s = σ² = 1.
    func reference(latents x: [Double], means m: [Double]) -> Double {
      let (n, d, k) = (count, dimension, components)
      let p = weights.map(Double.init)
      let s = 1.0
      let gamma = Double.pow(4 / (3 * Double(n) / Double(k)), 0.4)
      func phi(_ u: Double) -> Double { 1 / (1 + 4 * u / Double(2 * d - 3)).squareRoot() }
      func squaredDistance(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int) -> Double {
        (0..<d).reduce(0) { sum, t in sum + (a[i * d + t] - b[j * d + t]) * (a[i * d + t] - b[j * d + t]) }
      }
      var latentTerm = 0.0
      for i in 0..<n {
        for j in 0..<n {
          latentTerm += 1 / (4 * Double.pi * gamma).squareRoot() * phi(squaredDistance(x, i, x, j) / (4 * gamma))
        }
      }
      latentTerm /= Double(n * n)
      var meanTerm = 0.0
      for a in 0..<k {
        for b in 0..<k {
          meanTerm +=
            p[a] * p[b] / (2 * Double.pi * (s + s + 2 * gamma)).squareRoot()
            * phi(squaredDistance(m, a, m, b) / (2 * s + 2 * s + 4 * gamma))
        }
      }
      var crossTerm = 0.0
      for i in 0..<n {
        for a in 0..<k {
          crossTerm +=
            p[a] / (2 * Double.pi * (s + 2 * gamma)).squareRoot()
            * phi(squaredDistance(x, i, m, a) / (2 * s + 4 * gamma))
        }
      }
      return latentTerm + meanTerm - 2 / Double(n) * crossTerm
    }

    var referenceValue: Double { reference(latents: latents.map(Double.init), means: means.map(Double.init)) }

    /// Central differences of the Double reference at every latent and mean coordinate.
    func referenceGradients(step h: Double = 1e-4) -> (dLatents: [Double], dMeans: [Double]) {
      let x = latents.map(Double.init), m = means.map(Double.init)
      let dLatents = x.indices.map { i -> Double in
        var up = x, down = x
        up[i] += h
        down[i] -= h
        return (reference(latents: up, means: m) - reference(latents: down, means: m)) / (2 * h)
      }
      let dMeans = m.indices.map { i -> Double in
        var up = m, down = m
        up[i] += h
        down[i] -= h
        return (reference(latents: x, means: up) - reference(latents: x, means: down)) / (2 * h)
      }
      return (dLatents, dMeans)
    }

    func forward(_ distance: CramerWold) -> Double {
      latents.withUnsafeBufferPointer { x in
        means.withUnsafeBufferPointer { m in
          weights.withUnsafeBufferPointer { p in distance.forward(latents: x, count: count, means: m, weights: p) }
        }
      }
    }

    /// Runs backward into the given buffers (accumulating onto their contents).
    func backward(_ distance: CramerWold, scale: Float = 1, dLatents: inout [Float], dMeans: inout [Float]) {
      dLatents.withUnsafeMutableBufferPointer { dx in
        dMeans.withUnsafeMutableBufferPointer { dm in distance.backward(scale: scale, dLatents: dx, dMeans: dm) }
      }
    }

    /// Forward, then backward from zero.
    func gradients(_ distance: CramerWold, scale: Float = 1) -> (dLatents: [Float], dMeans: [Float]) {
      _ = forward(distance)
      var dLatents = [Float](repeating: 0, count: latents.count)
      var dMeans = [Float](repeating: 0, count: means.count)
      backward(distance, scale: scale, dLatents: &dLatents, dMeans: &dMeans)
      return (dLatents, dMeans)
    }
  }

  @Test(arguments: [(7, 5, 3, 7), (7, 5, 3, 16), (12, 3, 4, 12), (1, 4, 2, 3), (40, 10, 10, 64)])
  func valueMatchesDoubleReference(count: Int, dimension: Int, components: Int, maxBatch: Int) {
    let problem = Problem.random(
      count: count, dimension: dimension, components: components, seed: UInt64(count * 31 + dimension))
    let distance = CramerWold(maxBatch: maxBatch, dimension: dimension, components: components)
    let value = problem.forward(distance)
    let reference = problem.referenceValue
    #expect(value.isApproximatelyEqual(to: reference, relativeTolerance: 1e-5), "d² \(value), reference \(reference)")
  }

  @Test func gradientMatchesDoubleReference() {
    let distance = CramerWold(maxBatch: 12, dimension: 5, components: 3)
    // A larger batch first, so stale caches from another count would show.
    _ = Problem.random(count: 12, dimension: 5, components: 3, seed: 99).forward(distance)
    for seed: UInt64 in 1...3 {
      let problem = Problem.random(count: 7, dimension: 5, components: 3, seed: seed)
      let (dLatents, dMeans) = problem.gradients(distance)
      let numeric = problem.referenceGradients()
      expectGradientClose("dLatents, seed \(seed)", dLatents, numeric.dLatents, absolute: 1e-8, relative: 1e-4)
      expectGradientClose("dMeans, seed \(seed)", dMeans, numeric.dMeans, absolute: 1e-8, relative: 1e-4)
    }
  }

  /// STYLE §9: central differences of our own Float forward, divided by the step Float took.
  @Test func gradientMatchesOwnFiniteDifferences() {
    var problem = Problem.random(count: 6, dimension: 4, components: 3, spread: 2, seed: 7)
    let distance = CramerWold(maxBatch: 6, dimension: 4, components: 3)
    let (dLatents, dMeans) = problem.gradients(distance)
    func numeric(_ path: WritableKeyPath<Problem, [Float]>) -> [Double] {
      problem[keyPath: path].indices.map { i in
        centralDifference(of: { $0.forward(distance) }, in: &problem, path, at: i)
      }
    }
    expectGradientClose("dLatents", dLatents, numeric(\.latents), absolute: 1e-6, relative: 1e-3)
    expectGradientClose("dMeans", dMeans, numeric(\.means), absolute: 1e-6, relative: 1e-3)
  }

  @Test func distanceIsPositiveOnRandomBatches() {
    var random = SeededGenerator(seed: 2024)
    for trial in 0..<30 {
      let count = Int.random(in: 1...24, using: &random)
      let dimension = Int.random(in: 3...12, using: &random)
      let components = Int.random(in: 1...6, using: &random)
      let spread = Float.random(in: 0.01...4, using: &random)
      let problem = Problem.random(
        count: count, dimension: dimension, components: components, spread: spread, seed: UInt64(trial))
      let value = problem.forward(CramerWold(maxBatch: count, dimension: dimension, components: components))
      #expect(value > 0, "trial \(trial): N \(count), D \(dimension), K \(components): d² = \(value)")
    }
  }

  /// A batch drawn from the mixture itself is closer to it than the same batch moved by +3.
  @Test func samplesOfTheMixtureAreCloserThanShiftedOnes() {
    let (count, dimension, components) = (200, 10, 10)
    var random = SeededGenerator(seed: 5)
    // DESIGN §1 initialisation with r = 2: dimension t belongs to component t mod K.
    var means = [Float](repeating: 0, count: components * dimension)
    for k in 0..<components {
      for t in 0..<dimension where t % components == k {
        means[k * dimension + t] = 2 * Float(components) / Float(dimension)
      }
    }
    let weights = [Float](repeating: 1 / Float(components), count: components)
    var latents = [Float]()
    for _ in 0..<count {
      let k = Int.random(in: 0..<components, using: &random)
      for t in 0..<dimension { latents.append(means[k * dimension + t] + normal(using: &random)) }
    }
    let sampled = Problem(
      latents: latents, means: means, weights: weights, count: count, dimension: dimension, components: components)
    var shifted = sampled
    shifted.latents = latents.map { $0 + 3 }
    let distance = CramerWold(maxBatch: count, dimension: dimension, components: components)
    let near = sampled.forward(distance), far = shifted.forward(distance)
    #expect(near > 0 && near < far, "sampled d² \(near), shifted d² \(far)")
    #expect(near < 0.1 * far)
  }

  @Test func backwardAccumulatesAndScales() {
    let problem = Problem.random(count: 9, dimension: 6, components: 4, seed: 11)
    let distance = CramerWold(maxBatch: 9, dimension: 6, components: 4)
    expectBackwardAccumulatesAndScales(
      gradients: { problem.gradients(distance, scale: $0) },
      backward: { problem.backward(distance, dLatents: &$0, dMeans: &$1) })
  }

  @Test(arguments: [Float.infinity, -Float.infinity, Float.nan])
  func nonFiniteInputGivesNaN(bad: Float) {
    let distance = CramerWold(maxBatch: 5, dimension: 3, components: 2)
    var problem = Problem.random(count: 5, dimension: 3, components: 2, seed: 3)
    problem.latents[4] = bad
    #expect(problem.forward(distance).isNaN)
    problem = Problem.random(count: 5, dimension: 3, components: 2, seed: 3)
    problem.means[1] = bad
    #expect(problem.forward(distance).isNaN)
  }
}

/// N(0, 1) by Box–Muller from the seeded generator; u₁ in (0, 1] keeps the log finite.
private func normal(using random: inout SeededGenerator) -> Float {
  let u1 = (Double(random.next() >> 11) + 1) * 0x1p-53
  let u2 = Double(random.next() >> 11) * 0x1p-53
  return Float((-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2))
}
