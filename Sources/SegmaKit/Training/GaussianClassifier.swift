/// The classifier the mixture prior induces, and its cross-entropy loss.
///
/// Legend: N batch (`count`), D latent dimension, K mixture components. Row-major throughout.
/// Goals, in order: correct loss and gradients (checked against a Double reference and
/// finite differences), no allocation per step, deterministic, then speed.
import Numerics

/// The Gaussian classifier of DESIGN §1 (σ² = 1) with its mean cross-entropy.
///
/// ```
/// logitₖ(z) = log pₖ − ‖z − mₖ‖²/2,   P(k|z) = softmax(logit)ₖ
/// CE = 1/N Σᵢ −log P(yᵢ|zᵢ) = 1/N Σᵢ (log Σₖ exp logitᵢₖ − logitᵢyᵢ)
/// ```
/// The shared Gaussian constant cancels in the softmax. The largest logit is subtracted
/// before exponentiating, so logits of ±1e4 neither overflow nor give NaN, and −log P is
/// taken from the logits (log-sum-exp), not as log of a probability that may underflow
/// to 0: a confidently wrong latent gives a large finite loss, not ∞.
/// A NaN or infinite latent or mean (or a distance that overflows Float) gives a NaN loss
/// that the caller detects.
///
/// Use: `forward` copies its inputs and caches P; `backward` accumulates into the
/// caller's gradient buffers and never zeroes them.
public final class GaussianClassifier {
  public let maxBatch: Int
  public let dimension: Int
  public let components: Int

  /// One block for the Float caches below, allocated in `init`.
  private let storage: MutableFloatView
  /// Copies of the last forward's latents (N, D) and means (K, D).
  private let latents: MutableFloatView
  private let means: MutableFloatView
  /// P(k|zᵢ) (N, K) of the last forward.
  private let probabilities: MutableFloatView
  /// Labels (N) of the last forward.
  private let labels: UnsafeMutableBufferPointer<Int32>
  /// N of the last forward; 0 before the first.
  private var count = 0

  /// Caches for batches of up to `maxBatch` latents in R^`dimension` and `components` classes.
  public init(maxBatch: Int, dimension: Int, components: Int) {
    precondition(maxBatch > 0 && dimension > 0 && components > 0, "gaussian classifier: empty shape")
    (self.maxBatch, self.dimension, self.components) = (maxBatch, dimension, components)
    let sizes = [maxBatch * dimension, components * dimension, maxBatch * components]
    storage = .allocate(capacity: sizes.reduce(0, +))
    storage.initialize(repeating: 0)
    latents = MutableFloatView(rebasing: storage[0..<sizes[0]])
    means = MutableFloatView(rebasing: storage[sizes[0]..<(sizes[0] + sizes[1])])
    probabilities = MutableFloatView(rebasing: storage[(sizes[0] + sizes[1])...])
    labels = .allocate(capacity: maxBatch)
    labels.initialize(repeating: 0)
  }

  deinit {
    storage.deallocate()
    labels.deallocate()
  }

  /// Returns the mean cross-entropy of `labels` and how many latents have their label as
  /// the most probable class (first index on ties); caches P(k|zᵢ) for `backward`.
  ///
  /// - Parameters:
  ///   - latents: (N, D), row-major; N = `count`, 1...`maxBatch`.
  ///   - labels: (N), each in 0..<K.
  ///   - means: (K, D), row-major.
  ///   - logWeights: (K), log pₖ.
  /// - Returns: CE (summed in Double, NaN if an input is NaN or infinite) and the correct count.
  /// - Complexity: O(NKD), no allocation.
  public func forward(
    latents z: FloatView, labels y: UnsafeBufferPointer<Int32>, count n: Int, means m: FloatView,
    logWeights: FloatView
  ) -> (loss: Float, correct: Int) {
    let d = dimension, k = components
    precondition(n > 0 && n <= maxBatch, "gaussian classifier forward: count \(n) outside 1...\(maxBatch)")
    precondition(
      z.count >= n * d && y.count >= n && m.count >= k * d && logWeights.count >= k,
      "gaussian classifier forward: buffer too small")
    latents.baseAddress!.update(from: z.baseAddress!, count: n * d)
    means.baseAddress!.update(from: m.baseAddress!, count: k * d)
    count = n

    var loss: Double = 0
    var correct = 0
    for i in 0..<n {
      let label = Int(y[i])
      precondition(label >= 0 && label < k, "gaussian classifier forward: label \(label) outside 0..<\(k)")
      labels[i] = y[i]
      let row = probabilities.baseAddress! + i * k
      let largest = Self.logits(
        of: latents.baseAddress! + i * d, means: means.baseAddress!, logWeights: logWeights.baseAddress!,
        dimension: d, components: k, into: row)
      // −log P(y|z) = (max − logit_y) + log Σₖ exp(logitₖ − max), read before row becomes P.
      let gap = largest.value - row[label]
      let logSum = Self.softmaxInPlace(row, components: k, largest: largest.value)
      loss += Double(gap) + Double(logSum)
      if largest.index == label { correct += 1 }
    }
    return (Float(loss / Double(n)), correct)
  }

  /// Accumulates `scale` · ∂CE/∂latents into dLatents (N, D) and `scale` · ∂CE/∂means into
  /// dMeans (K, D), for the inputs of the last `forward`. Never overwrites either.
  ///
  /// - Complexity: O(NKD), no allocation.
  public func backward(scale: Float, dLatents: MutableFloatView, dMeans: MutableFloatView) {
    let n = count, d = dimension, k = components
    precondition(n > 0, "gaussian classifier backward: no forward yet")
    precondition(dLatents.count >= n * d && dMeans.count >= k * d, "gaussian classifier backward: buffer too small")
    let zs = UnsafePointer(latents.baseAddress!), ms = UnsafePointer(means.baseAddress!)
    let dz = dLatents.baseAddress!, dm = dMeans.baseAddress!
    let perLatent = scale / Float(n)

    // forward was: CE = 1/N Σᵢ (log Σₖ exp logitᵢₖ − logitᵢyᵢ),  logitᵢₖ = log pₖ − ‖zᵢ − mₖ‖²/2
    // so:          gᵢₖ = (Pᵢₖ − [k = yᵢ]) / N;  ∂logitᵢₖ/∂zᵢ = −(zᵢ − mₖ),  ∂logitᵢₖ/∂mₖ = zᵢ − mₖ
    //              dzᵢ −= gᵢₖ (zᵢ − mₖ),  dmₖ += gᵢₖ (zᵢ − mₖ)                    (cached P)
    for i in 0..<n {
      let zi = zs + i * d, dzi = dz + i * d, row = probabilities.baseAddress! + i * k
      let label = Int(labels[i])
      for a in 0..<k {
        let g = perLatent * (a == label ? row[a] - 1 : row[a])
        let ma = ms + a * d, dma = dm + a * d
        for t in 0..<d {
          let delta = g * (zi[t] - ma[t])
          dzi[t] -= delta
          dma[t] += delta
        }
      }
    }
  }

  /// Writes P(k|z) for one latent into `probabilities` (K); reads nothing else and caches nothing.
  ///
  /// - Parameters:
  ///   - latent: (D); D is `latent.count`.
  ///   - means: (K, D), row-major.
  ///   - logWeights: (K), log pₖ; K is `logWeights.count`.
  ///   - probabilities: (K), overwritten; sums to 1 up to rounding.
  /// - Complexity: O(KD).
  public static func probabilities(
    of latent: FloatView, means: FloatView, logWeights: FloatView, into probabilities: MutableFloatView
  ) {
    let d = latent.count, k = logWeights.count
    precondition(d > 0 && k > 0, "gaussian classifier: empty latent or mixture")
    precondition(
      means.count >= k * d && probabilities.count >= k, "gaussian classifier probabilities: buffer too small")
    let out = probabilities.baseAddress!
    let largest = logits(
      of: latent.baseAddress!, means: means.baseAddress!, logWeights: logWeights.baseAddress!,
      dimension: d, components: k, into: out)
    _ = softmaxInPlace(out, components: k, largest: largest.value)
  }

  /// Writes logitₖ = log pₖ − ‖z − mₖ‖²/2 into `out` (K), NaN where the distance is not
  /// finite; returns the first largest and its index.
  @inline(__always)
  static func logits(
    of z: UnsafePointer<Float>, means: UnsafePointer<Float>, logWeights: UnsafePointer<Float>,
    dimension d: Int, components k: Int, into out: UnsafeMutablePointer<Float>
  ) -> (index: Int, value: Float) {
    var best = (index: 0, value: -Float.infinity)
    for a in 0..<k {
      let ma = means + a * d
      var squared: Float = 0
      for t in 0..<d {
        let difference = z[t] - ma[t]
        squared = Relaxed.multiplyAdd(difference, difference, squared)
      }
      // An infinite distance would only rule class a out; make it NaN so the caller sees it.
      let logit = squared.isFinite ? logWeights[a] - squared / 2 : .nan
      out[a] = logit
      // A NaN logit never wins; it reaches the loss through the softmax sum instead.
      if logit > best.value || a == 0 { best = (a, logit) }
    }
    return best
  }

  /// Turns logits (K) into softmax probabilities in place, given their largest value;
  /// returns log Σₖ exp(logitₖ − largest).
  @inline(__always)
  static func softmaxInPlace(_ p: UnsafeMutablePointer<Float>, components k: Int, largest: Float) -> Float {
    var sum: Float = 0
    for a in 0..<k {
      let e = Float.exp(p[a] - largest)
      p[a] = e
      sum += e
    }
    let inverse = 1 / sum
    for a in 0..<k { p[a] *= inverse }
    return Float.log(sum)
  }
}
