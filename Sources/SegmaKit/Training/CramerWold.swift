/// The Cramér–Wold distance between a batch of latents and the Gaussian-mixture prior.
///
/// Legend: N batch (`count`), D latent dimension, K mixture components. Inputs and gradients
/// are row-major.
/// Goals, in order: a correct value and correct gradients (checked against a Double
/// reference and finite differences), no allocation per step, deterministic, then speed.
///
/// All three sums of DESIGN §1 use one kernel, φ_D of a squared distance divided by a
/// width, so one function and its derivative serve the value and every gradient.
/// Squared distances are taken from differences, ‖a − b‖² = Σ (a_t − b_t)², not from
/// ‖a‖² + ‖b‖² − 2a·b (one SGEMM): that form cancels for nearby points far from the
/// origin. The latents are kept transposed, (D, N), so every inner loop runs over
/// contiguous latents and vectorizes; with the symmetry of the pair sum, forward plus
/// backward took 155 µs instead of 340 µs with pair-by-pair D-long loops (release,
/// N = 200, D = 10, K = 10, one core).
import Numerics

/// The squared Cramér–Wold distance between a batch of latents and the mixture
/// Σ_k p_k N(m_k, s I), s = σ² = 1, with its gradient with respect to latents and means.
///
/// ```
/// d² = 1/N² Σᵢⱼ (4πγ)^(−1/2) φ_D(‖xᵢ − xⱼ‖² / 4γ)
///    + Σₖₗ pₖpₗ (2π(2s + 2γ))^(−1/2) φ_D(‖mₖ − mₗ‖² / (4s + 4γ))
///    − 2/N Σᵢₖ pₖ (2π(s + 2γ))^(−1/2) φ_D(‖xᵢ − mₖ‖² / (2s + 4γ))
/// φ_D(u) = (1 + 4u/(2D − 3))^(−1/2),   γ = (4 / (3N/K))^0.4
/// ```
/// The loss takes log(d²) and d² is a small difference of three sums of size ~0.3, so
/// each sum is accumulated in Double and the subtraction is done in Double; in Float it
/// can cancel to zero or below. The weights p_k are constants: no gradient flows to them.
///
/// A NaN or infinite latent or mean makes `forward` return NaN (the diagonal distances
/// are computed, not assumed zero, so ∞ − ∞ reaches the sum); the caller checks the loss.
/// D < 3 (φ_D undefined), an empty batch and short buffers are our bugs: preconditions.
///
/// Use: `forward` copies its inputs and caches φ′ of every distance; `backward`
/// accumulates into the caller's gradient buffers and never zeroes them.
public final class CramerWold {
  /// σ² = s_k of every mixture component (DESIGN §1).
  public static let variance: Double = 1

  public let maxBatch: Int
  public let dimension: Int
  public let components: Int

  /// One block holding every buffer below, allocated in `init`.
  private let storage: MutableFloatView
  /// Copies of the last forward's inputs: latents transposed, xᵀ (D, N) with row stride N,
  /// so the inner loops run over contiguous latents; means (K, D); weights (K).
  private let latentsTransposed: MutableFloatView
  private let means: MutableFloatView
  private let weights: MutableFloatView
  /// dφ/dr at each squared distance r of the last forward: latent pairs (N, N) with row
  /// stride N, upper triangle only; mean pairs (K, K), upper triangle only; latent–mean
  /// pairs (K, N) with row stride N.
  private let pairSlopes: MutableFloatView
  private let meanSlopes: MutableFloatView
  private let crossSlopes: MutableFloatView
  /// Scratch for `backward`: ∂d²/∂xᵀ (D, N) before it is scaled into the caller's buffer.
  private let dLatentsTransposed: MutableFloatView
  /// N of the last forward; 0 before the first.
  private var count = 0
  /// ∂(d²) per unit of dφ/dr and of the coordinate difference, for each of the three sums.
  private var pairFactor: Float = 0
  private var meanFactor: Float = 0
  private var crossFactor: Float = 0

  /// Caches for batches of up to `maxBatch` latents in R^`dimension` and a mixture of `components`.
  public init(maxBatch: Int, dimension: Int, components: Int) {
    precondition(maxBatch > 0 && components > 0, "cramer-wold: empty batch or mixture")
    precondition(dimension >= 3, "cramer-wold: φ_D needs D >= 3, got \(dimension)")
    (self.maxBatch, self.dimension, self.components) = (maxBatch, dimension, components)
    let sizes = [
      dimension * maxBatch, components * dimension, components,
      maxBatch * maxBatch, components * components, components * maxBatch, dimension * maxBatch,
    ]
    let block = MutableFloatView.allocate(capacity: sizes.reduce(0, +))
    block.initialize(repeating: 0)
    storage = block
    var start = 0
    func next(_ size: Int) -> MutableFloatView {
      defer { start += size }
      return MutableFloatView(rebasing: block[start..<(start + size)])
    }
    latentsTransposed = next(sizes[0])
    means = next(sizes[1])
    weights = next(sizes[2])
    pairSlopes = next(sizes[3])
    meanSlopes = next(sizes[4])
    crossSlopes = next(sizes[5])
    dLatentsTransposed = next(sizes[6])
  }

  deinit { storage.deallocate() }

  /// Returns d² for `count` latents and the mixture, and caches what `backward` needs.
  ///
  /// ```
  /// d² = a Σᵢⱼ φ(rᵢⱼ/4γ) + b Σₖₗ pₖpₗ φ(qₖₗ/(4s + 4γ)) − c Σᵢₖ pₖ φ(tᵢₖ/(2s + 4γ))
  /// ```
  /// with r, q, t the squared distances latent–latent, mean–mean, latent–mean and
  /// a = (4πγ)^(−1/2)/N², b = (2π(2s + 2γ))^(−1/2), c = 2/N · (2π(s + 2γ))^(−1/2).
  ///
  /// - Parameters:
  ///   - latents: (N, D), row-major; N = `count`, 1...`maxBatch`.
  ///   - means: (K, D), row-major.
  ///   - weights: (K), summing to 1.
  /// - Returns: d², NaN if a latent or mean is NaN or infinite.
  /// - Complexity: O(N²D + NKD + K²D), no allocation.
  public func forward(latents x: FloatView, count n: Int, means m: FloatView, weights p: FloatView) -> Double {
    let d = dimension, k = components
    precondition(n > 0 && n <= maxBatch, "cramer-wold forward: count \(n) outside 1...\(maxBatch)")
    precondition(
      x.count >= n * d && m.count >= k * d && p.count >= k, "cramer-wold forward: buffer too small")
    let xt = latentsTransposed.baseAddress!
    for i in 0..<n {
      for t in 0..<d { xt[t * n + i] = x[i * d + t] }
    }
    means.baseAddress!.update(from: m.baseAddress!, count: k * d)
    weights.baseAddress!.update(from: p.baseAddress!, count: k)
    count = n

    let s = Self.variance
    let gamma = Double.pow(4 / (3 * Double(n) / Double(k)), 0.4)
    // φ_D(r / h) = (1 + β r)^(−1/2) with β = (4 / (2D − 3)) / h, h the width of each sum.
    let c = 4 / Double(2 * d - 3)
    let pairBeta = Float(c / (4 * gamma))
    let meanBeta = Float(c / (4 * s + 4 * gamma))
    let crossBeta = Float(c / (2 * s + 4 * gamma))
    let pairNorm = 1 / (4 * Double.pi * gamma).squareRoot() / Double(n * n)
    let meanNorm = 1 / (2 * Double.pi * (2 * s + 2 * gamma)).squareRoot()
    let crossNorm = 2 / Double(n) / (2 * Double.pi * (s + 2 * gamma)).squareRoot()
    // Each pair appears as (i, j) and (j, i) and ∂r/∂xᵢ = 2(xᵢ − xⱼ): hence 4 (likewise for
    // means); each latent–mean pair appears once: hence 2.
    pairFactor = Float(4 * pairNorm)
    meanFactor = Float(4 * meanNorm)
    crossFactor = Float(2 * crossNorm)

    let xs = UnsafePointer(xt), ms = UnsafePointer(means.baseAddress!), ps = weights.baseAddress!

    // Σᵢⱼ φ(rᵢⱼ): the diagonal once, the upper triangle twice. Row i holds rᵢⱼ, j ≥ i, then
    // φ′ in place. rᵢᵢ is computed like the others: 0, or NaN for an infinite coordinate.
    var pairSum: Double = 0
    for i in 0..<n {
      let row = pairSlopes.baseAddress! + i * n
      Self.squaredDistances(from: xs, count: n, dimension: d, range: i..<n, to: xs + i, stride: n, into: row)
      pairSum += Double(Self.phi(row[i], beta: pairBeta).value)
      pairSum += 2 * Self.replaceWithSlopes(row, range: (i + 1)..<n, beta: pairBeta)
    }

    // Σₖₗ pₖpₗ φ(qₖₗ), same symmetry; K is small, so plain loops.
    var meanSum: Double = 0
    for a in 0..<k {
      let ma = ms + a * d, row = meanSlopes.baseAddress! + a * k
      var offDiagonal: Double = 0
      for b in (a + 1)..<k {
        let kernel = Self.phi(Self.squaredDistance(ma, ms + b * d, d), beta: meanBeta)
        row[b] = kernel.slope
        offDiagonal += Double(ps[b]) * Double(kernel.value)
      }
      let diagonal = Double(ps[a]) * Double(Self.phi(Self.squaredDistance(ma, ma, d), beta: meanBeta).value)
      meanSum += Double(ps[a]) * (diagonal + 2 * offDiagonal)
    }

    // Σₖ pₖ Σᵢ φ(tᵢₖ): row k holds tᵢₖ for every i, then φ′ in place.
    var crossSum: Double = 0
    for a in 0..<k {
      let row = crossSlopes.baseAddress! + a * n
      Self.squaredDistances(from: xs, count: n, dimension: d, range: 0..<n, to: ms + a * d, stride: 1, into: row)
      crossSum += Double(ps[a]) * Self.replaceWithSlopes(row, range: 0..<n, beta: crossBeta)
    }

    return pairNorm * pairSum + meanNorm * meanSum - crossNorm * crossSum
  }

  /// Accumulates `scale` · ∂d²/∂latents into dLatents (N, D) and `scale` · ∂d²/∂means into
  /// dMeans (K, D), for the inputs of the last `forward`. Never overwrites either.
  ///
  /// For log(d²) pass `scale = λ / d²`.
  ///
  /// - Complexity: O(N²D + NKD + K²D), no allocation.
  public func backward(scale: Float, dLatents: MutableFloatView, dMeans: MutableFloatView) {
    let n = count, d = dimension, k = components
    precondition(n > 0, "cramer-wold backward: no forward yet")
    precondition(dLatents.count >= n * d && dMeans.count >= k * d, "cramer-wold backward: buffer too small")
    let xs = UnsafePointer(latentsTransposed.baseAddress!), ms = UnsafePointer(means.baseAddress!)
    let ps = weights.baseAddress!, dm = dMeans.baseAddress!
    // Unscaled ∂d²/∂xᵀ (D, N), built here and added to dLatents once at the end.
    let dxt = dLatentsTransposed.baseAddress!
    dxt.update(repeating: 0, count: d * n)

    // forward was: a Σᵢⱼ φ(rᵢⱼ), rᵢⱼ = ‖xᵢ − xⱼ‖², symmetric in i and j
    // so:          for i < j, g = 4a φ′(rᵢⱼ)(xᵢ − xⱼ); dxᵢ += g, dxⱼ −= g   (cached φ′)
    let pair = pairFactor
    for i in 0..<n {
      let row = UnsafePointer(pairSlopes.baseAddress! + i * n)
      for t in 0..<d {
        let column = xs + t * n, dColumn = dxt + t * n
        let xi = column[i]
        var sum: Float = 0
        for j in (i + 1)..<n {
          let g = pair * row[j] * (xi - column[j])
          sum = Relaxed.sum(sum, g)
          dColumn[j] -= g
        }
        dColumn[i] += sum
      }
    }

    // forward was: b Σₖₗ pₖpₗ φ(qₖₗ), qₖₗ = ‖mₖ − mₗ‖², symmetric
    // so:          for k < l, g = 4b pₖpₗ φ′(qₖₗ)(mₖ − mₗ); dmₖ += g, dmₗ −= g
    let mean = scale * meanFactor
    for a in 0..<k {
      let ma = ms + a * d, dma = dm + a * d, row = meanSlopes.baseAddress! + a * k
      for b in (a + 1)..<k {
        let w = mean * ps[a] * ps[b] * row[b]
        let mb = ms + b * d, dmb = dm + b * d
        for t in 0..<d {
          let g = w * (ma[t] - mb[t])
          dma[t] += g
          dmb[t] -= g
        }
      }
    }

    // forward was: − c Σᵢₖ pₖ φ(tᵢₖ), tᵢₖ = ‖xᵢ − mₖ‖²
    // so:          g = 2c pₖ φ′(tᵢₖ)(xᵢ − mₖ); dxᵢ −= g, dmₖ += g
    for a in 0..<k {
      let w = crossFactor * ps[a], row = UnsafePointer(crossSlopes.baseAddress! + a * n)
      for t in 0..<d {
        let column = xs + t * n, dColumn = dxt + t * n
        let mat = ms[a * d + t]
        var sum: Float = 0
        for i in 0..<n {
          let g = w * row[i] * (column[i] - mat)
          sum = Relaxed.sum(sum, g)
          dColumn[i] -= g
        }
        dm[a * d + t] += scale * sum
      }
    }

    let dx = dLatents.baseAddress!
    for i in 0..<n {
      for t in 0..<d { dx[i * d + t] += scale * dxt[t * n + i] }
    }
  }

  /// Writes ‖xⱼ − y‖² into out[j] for j in `range`, with x given transposed (D, `count`) and
  /// y's coordinates `stride` apart. The inner loop runs over contiguous j, so it vectorizes.
  @inline(__always)
  static func squaredDistances(
    from xt: UnsafePointer<Float>, count n: Int, dimension d: Int, range: Range<Int>, to y: UnsafePointer<Float>,
    stride: Int, into out: UnsafeMutablePointer<Float>
  ) {
    for j in range { out[j] = 0 }
    for t in 0..<d {
      let column = xt + t * n, yt = y[t * stride]
      for j in range {
        let difference = column[j] - yt
        out[j] = Relaxed.multiplyAdd(difference, difference, out[j])
      }
    }
  }

  /// Replaces each r in row[range] by dφ/dr and returns Σ φ(r), summed in Double.
  @inline(__always)
  static func replaceWithSlopes(_ row: UnsafeMutablePointer<Float>, range: Range<Int>, beta: Float) -> Double {
    var sum: Double = 0
    for j in range {
      let kernel = phi(row[j], beta: beta)
      row[j] = kernel.slope
      sum = Relaxed.sum(sum, Double(kernel.value))
    }
    return sum
  }

  /// φ_D(r/h) = (1 + βr)^(−1/2) and its derivative with respect to r, −β/2 · (1 + βr)^(−3/2);
  /// β = 4 / ((2D − 3) h). r = ∞ gives (0, 0), r = NaN gives NaN.
  @inline(__always)
  static func phi(_ r: Float, beta: Float) -> (value: Float, slope: Float) {
    let value = 1 / (1 + beta * r).squareRoot()
    // (1 + βr)^(−3/2) = value³: multiplications instead of a second division.
    return (value, -0.5 * beta * (value * value * value))
  }

  /// ‖a − b‖² over `dimension` coordinates; NaN when a coordinate of a is ±∞ and a = b.
  @inline(__always)
  static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int) -> Float {
    var sum: Float = 0
    for t in 0..<dimension {
      let difference = a[t] - b[t]
      sum = Relaxed.multiplyAdd(difference, difference, sum)
    }
    return sum
  }
}
