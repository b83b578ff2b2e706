#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam with global-norm gradient clipping, in one pass over the parameter store.
///
/// ```
/// c = min(1, maxNorm / (‖g‖ + 1e-6))          (PyTorch's clip_grad_norm_)
/// m ← β₁m + (1−β₁)·c·g,  v ← β₂v + (1−β₂)·(c·g)²
/// p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
/// ```
/// The clip factor is folded into the update instead of rescaling the gradients in a
/// pass of their own. The norm is summed in Double: 3.7M squares in Float lose digits.
public struct Adam: Sendable {
  public var learningRate: Float = 3e-4
  public var beta1: Float = 0.9
  public var beta2: Float = 0.999
  public var epsilon: Float = 1e-8
  /// Gradients are scaled down to this global L2 norm when larger; nil turns clipping off.
  public var maxGradientNorm: Float? = 5

  public init(learningRate: Float = 3e-4) { self.learningRate = learningRate }

  /// The global L2 norm of all gradients.
  public static func gradientNorm(_ store: ParameterStore) -> Double {
    var sum: Double = 0
    let g = store.gradients
    var i = 0
    // Partial sums in Float over short runs, added in Double: fast and accurate enough.
    while i < g.count {
      let end = min(i + 1024, g.count)
      var partial: Float = 0
      for j in i..<end { partial += g[j] * g[j] }
      sum += Double(partial)
      i = end
    }
    return sum.squareRoot()
  }

  /// One update of every parameter from its gradient; returns the gradient norm before clipping.
  @discardableResult
  public func step(_ store: ParameterStore) -> Double {
    let norm = Self.gradientNorm(store)
    let clip = maxGradientNorm.map { Float(min(1, Double($0) / (norm + 1e-6))) } ?? 1
    store.step += 1
    let t = Float(store.step)
    let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
    let stepSize = learningRate / correction1
    let inverseRootCorrection2 = 1 / correction2.squareRoot()
    let (p, g, m, v) = (store.values, store.gradients, store.firstMoments, store.secondMoments)
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    for i in 0..<store.count {
      let gradient = g[i] * clip
      let first = b1 * m[i] + (1 - b1) * gradient
      let second = b2 * v[i] + (1 - b2) * gradient * gradient
      m[i] = first
      v[i] = second
      // Same as PyTorch: denominator √v / √(1−β₂ᵗ) + ε, step lr / (1−β₁ᵗ).
      p[i] -= stepSize * first / (second.squareRoot() * inverseRootCorrection2 + eps)
    }
    return norm
  }
}
