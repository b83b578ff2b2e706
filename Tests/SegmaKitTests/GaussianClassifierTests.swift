import Numerics
import SegmaKit
import TestSupport
import Testing

/// `GaussianClassifier` against the cross-entropy written plainly in Double, its gradient
/// against central differences of that reference and of its own forward (STYLE §9), and
/// the softmax identities (±1e4 logits, probabilities summing to 1).
@Suite struct GaussianClassifierTests {
  /// One labelled batch: latents (N, D), labels (N), means (K, D), log-weights (K).
  struct Batch {
    var latents: [Float]
    var labels: [Int32]
    var means: [Float]
    var logWeights: [Float]
    let count: Int
    let dimension: Int
    let components: Int

    static func random(count: Int, dimension: Int, components: Int, spread: Float = 1.5, seed: UInt64) -> Batch {
      var random = SeededGenerator(seed: seed)
      let latents = (0..<(count * dimension)).map { _ in Float.random(in: -spread...spread, using: &random) }
      let means = (0..<(components * dimension)).map { _ in Float.random(in: -spread...spread, using: &random) }
      let labels = (0..<count).map { _ in Int32.random(in: 0..<Int32(components), using: &random) }
      let raw = (0..<components).map { _ in Float.random(in: 0.2...1, using: &random) }
      let total = raw.reduce(0, +)
      return Batch(
        latents: latents, labels: labels, means: means, logWeights: raw.map { Float.log($0 / total) }, count: count,
        dimension: dimension, components: components)
    }

    /// logits (N, K) in Double, straight from the formula.
    func referenceLogits(latents z: [Double], means m: [Double]) -> [[Double]] {
      let (d, k) = (dimension, components)
      return (0..<count).map { i in
        (0..<k).map { a in
          let squared = (0..<d).reduce(0.0) { sum, t in
            sum + (z[i * d + t] - m[a * d + t]) * (z[i * d + t] - m[a * d + t])
          }
          return Double(logWeights[a]) - squared / 2
        }
      }
    }

    /// CE = 1/N Σᵢ −log softmax(logitᵢ)_yᵢ in Double (log-sum-exp with the max subtracted).
    func referenceLoss(latents z: [Double], means m: [Double]) -> Double {
      let logits = referenceLogits(latents: z, means: m)
      var loss = 0.0
      for i in 0..<count {
        let largest = logits[i].max()!
        let logSum = Double.log(logits[i].reduce(0.0) { $0 + Double.exp($1 - largest) }) + largest
        loss += logSum - logits[i][Int(labels[i])]
      }
      return loss / Double(count)
    }

    var referenceValue: Double { referenceLoss(latents: latents.map(Double.init), means: means.map(Double.init)) }

    /// Central differences of the Double reference at every latent and mean coordinate.
    func referenceGradients(step h: Double = 1e-4) -> (dLatents: [Double], dMeans: [Double]) {
      let z = latents.map(Double.init), m = means.map(Double.init)
      let dLatents = z.indices.map { i -> Double in
        var up = z, down = z
        up[i] += h
        down[i] -= h
        return (referenceLoss(latents: up, means: m) - referenceLoss(latents: down, means: m)) / (2 * h)
      }
      let dMeans = m.indices.map { i -> Double in
        var up = m, down = m
        up[i] += h
        down[i] -= h
        return (referenceLoss(latents: z, means: up) - referenceLoss(latents: z, means: down)) / (2 * h)
      }
      return (dLatents, dMeans)
    }

    func forward(_ classifier: GaussianClassifier) -> (loss: Float, correct: Int) {
      latents.withUnsafeBufferPointer { z in
        labels.withUnsafeBufferPointer { y in
          means.withUnsafeBufferPointer { m in
            logWeights.withUnsafeBufferPointer { w in
              classifier.forward(latents: z, labels: y, count: count, means: m, logWeights: w)
            }
          }
        }
      }
    }

    func backward(_ classifier: GaussianClassifier, scale: Float = 1, dLatents: inout [Float], dMeans: inout [Float]) {
      dLatents.withUnsafeMutableBufferPointer { dz in
        dMeans.withUnsafeMutableBufferPointer { dm in classifier.backward(scale: scale, dLatents: dz, dMeans: dm) }
      }
    }

    /// Forward, then backward from zero.
    func gradients(_ classifier: GaussianClassifier, scale: Float = 1) -> (dLatents: [Float], dMeans: [Float]) {
      _ = forward(classifier)
      var dLatents = [Float](repeating: 0, count: latents.count)
      var dMeans = [Float](repeating: 0, count: means.count)
      backward(classifier, scale: scale, dLatents: &dLatents, dMeans: &dMeans)
      return (dLatents, dMeans)
    }
  }

  @Test func lossAndCorrectCountMatchDoubleReference() {
    let classifier = GaussianClassifier(maxBatch: 32, dimension: 4, components: 3)
    for seed: UInt64 in 1...4 {
      let batch = Batch.random(count: 9 + Int(seed), dimension: 4, components: 3, seed: seed)
      let (loss, correct) = batch.forward(classifier)
      let reference = batch.referenceValue
      #expect(
        Double(loss).isApproximatelyEqual(to: reference, relativeTolerance: 1e-5), "CE \(loss), reference \(reference)")
      let logits = batch.referenceLogits(latents: batch.latents.map(Double.init), means: batch.means.map(Double.init))
      let expected = (0..<batch.count).filter { i in
        logits[i].firstIndex(of: logits[i].max()!) == Int(batch.labels[i])
      }
      #expect(correct == expected.count)
    }
  }

  @Test func gradientMatchesDoubleReference() {
    let classifier = GaussianClassifier(maxBatch: 12, dimension: 5, components: 3)
    // A larger batch first, so stale caches from another count would show.
    _ = Batch.random(count: 12, dimension: 5, components: 3, seed: 99).forward(classifier)
    for seed: UInt64 in 1...3 {
      let batch = Batch.random(count: 7, dimension: 5, components: 3, seed: seed)
      let (dLatents, dMeans) = batch.gradients(classifier)
      let numeric = batch.referenceGradients()
      expectGradientClose("dLatents, seed \(seed)", dLatents, numeric.dLatents, absolute: 1e-6, relative: 1e-4)
      expectGradientClose("dMeans, seed \(seed)", dMeans, numeric.dMeans, absolute: 1e-6, relative: 1e-4)
    }
  }

  /// STYLE §9: central differences of our own Float forward, divided by the step Float took.
  @Test func gradientMatchesOwnFiniteDifferences() {
    var batch = Batch.random(count: 6, dimension: 4, components: 5, spread: 2, seed: 8)
    let classifier = GaussianClassifier(maxBatch: 6, dimension: 4, components: 5)
    let (dLatents, dMeans) = batch.gradients(classifier)
    func numeric(_ path: WritableKeyPath<Batch, [Float]>) -> [Double] {
      batch[keyPath: path].indices.map { i in
        centralDifference(of: { Double($0.forward(classifier).loss) }, in: &batch, path, at: i)
      }
    }
    expectGradientClose("dLatents", dLatents, numeric(\.latents), absolute: 1e-4, relative: 1e-2)
    expectGradientClose("dMeans", dMeans, numeric(\.means), absolute: 1e-4, relative: 1e-2)
  }

  /// Latents on class means 5·eₖ apart: the nearest mean wins, so `correct` counts the
  /// labels that name the latent's own mean.
  @Test func correctCountsLabelsOfTheNearestMean() {
    let (dimension, components, count) = (4, 4, 10)
    var means = [Float](repeating: 0, count: components * dimension)
    for k in 0..<components { means[k * dimension + k] = 5 }
    var latents = [Float]()
    var labels = [Int32]()
    for i in 0..<count {
      let own = i % components
      latents += means[(own * dimension)..<((own + 1) * dimension)].map { $0 + 0.1 }
      // The first 6 are labelled with their own class, the rest with the next one.
      labels.append(Int32(i < 6 ? own : (own + 1) % components))
    }
    let batch = Batch(
      latents: latents, labels: labels, means: means,
      logWeights: [Float](repeating: Float.log(1 / Float(components)), count: components), count: count,
      dimension: dimension, components: components)
    let classifier = GaussianClassifier(maxBatch: count, dimension: dimension, components: components)
    let (loss, correct) = batch.forward(classifier)
    #expect(correct == 6)
    #expect(Double(loss).isApproximatelyEqual(to: batch.referenceValue, relativeTolerance: 1e-5))
  }

  @Test func extremeLogitsGiveFiniteProbabilitiesSummingToOne() {
    let means: [Float] = [0, 0, 0, 0, 0, 0]  // K = 3, D = 2: logits are the log-weights
    let latent: [Float] = [0, 0]
    for logWeights: [Float] in [[1e4, -1e4, 0], [-1e4, -1e4 + 1, -1e4], [1e4, 1e4, 1e4]] {
      var p = [Float](repeating: .nan, count: 3)
      latent.withUnsafeBufferPointer { z in
        means.withUnsafeBufferPointer { m in
          logWeights.withUnsafeBufferPointer { w in
            p.withUnsafeMutableBufferPointer {
              GaussianClassifier.probabilities(of: z, means: m, logWeights: w, into: $0)
            }
          }
        }
      }
      #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }, "\(logWeights): \(p)")
      #expect(Double(p.reduce(0, +)).isApproximatelyEqual(to: 1, absoluteTolerance: 1e-6), "\(logWeights): \(p)")
      let largest = logWeights.max()!
      let expected = logWeights.map { Double.exp(Double($0 - largest)) }
      let total = expected.reduce(0, +)
      for k in 0..<3 {
        #expect(Double(p[k]).isApproximatelyEqual(to: expected[k] / total, absoluteTolerance: 1e-6))
      }
    }
  }

  /// A latent 200 from its label's mean: P(y|z) underflows to 0 in Float, yet the loss is
  /// the finite ≈ 2·10⁴ that log-sum-exp gives, and the gradient is finite.
  @Test func confidentlyWrongLatentGivesFiniteLoss() {
    let batch = Batch(
      latents: [0, 0], labels: [1], means: [0, 0, 200, 0], logWeights: [Float.log(0.5), Float.log(0.5)], count: 1,
      dimension: 2, components: 2)
    let classifier = GaussianClassifier(maxBatch: 1, dimension: 2, components: 2)
    let (loss, correct) = batch.forward(classifier)
    #expect(correct == 0)
    #expect(Double(loss).isApproximatelyEqual(to: batch.referenceValue, relativeTolerance: 1e-6), "CE \(loss)")
    let (dLatents, dMeans) = batch.gradients(classifier)
    #expect((dLatents + dMeans).allSatisfy { $0.isFinite })
  }

  @Test func probabilitiesMatchDoubleReference() {
    let batch = Batch.random(count: 5, dimension: 6, components: 4, spread: 3, seed: 21)
    let logits = batch.referenceLogits(latents: batch.latents.map(Double.init), means: batch.means.map(Double.init))
    for i in 0..<batch.count {
      var p = [Float](repeating: .nan, count: batch.components)
      batch.latents[(i * 6)..<((i + 1) * 6)].withUnsafeBufferPointer { z in
        batch.means.withUnsafeBufferPointer { m in
          batch.logWeights.withUnsafeBufferPointer { w in
            p.withUnsafeMutableBufferPointer {
              GaussianClassifier.probabilities(of: z, means: m, logWeights: w, into: $0)
            }
          }
        }
      }
      let largest = logits[i].max()!
      let total = logits[i].reduce(0.0) { $0 + Double.exp($1 - largest) }
      for k in 0..<batch.components {
        let expected = Double.exp(logits[i][k] - largest) / total
        #expect(Double(p[k]).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-7, relativeTolerance: 1e-5))
      }
    }
  }

  @Test func backwardAccumulatesAndScales() {
    let batch = Batch.random(count: 9, dimension: 6, components: 4, seed: 11)
    let classifier = GaussianClassifier(maxBatch: 9, dimension: 6, components: 4)
    expectBackwardAccumulatesAndScales(
      gradients: { batch.gradients(classifier, scale: $0) },
      backward: { batch.backward(classifier, dLatents: &$0, dMeans: &$1) })
  }

  @Test(arguments: [Float.infinity, -Float.infinity, Float.nan])
  func nonFiniteInputGivesNaN(bad: Float) {
    let classifier = GaussianClassifier(maxBatch: 4, dimension: 3, components: 2)
    var batch = Batch.random(count: 4, dimension: 3, components: 2, seed: 4)
    batch.latents[5] = bad
    #expect(batch.forward(classifier).loss.isNaN)
    batch = Batch.random(count: 4, dimension: 3, components: 2, seed: 4)
    batch.means[0] = bad
    #expect(batch.forward(classifier).loss.isNaN)
  }
}
