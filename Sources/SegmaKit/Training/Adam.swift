import CKernels

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
    let g = store.gradients.baseAddress!
    return parallelSum(store.count, grain: 1 << 16) { segma_sum_of_squares(g + $0.lowerBound, $0.count) }.squareRoot()
  }

  /// One update of every parameter from its gradient; returns the gradient norm before clipping.
  @discardableResult
  public func step(_ store: ParameterStore) -> Double {
    let norm = Self.gradientNorm(store)
    let clip = maxGradientNorm.map { Float(min(1, Double($0) / (norm + 1e-6))) } ?? 1
    store.step += 1
    let t = Float(store.step)
    let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
    // Same as PyTorch: denominator √v / √(1−β₂ᵗ) + ε, step lr / (1−β₁ᵗ).
    let stepSize = learningRate / correction1
    let inverseRootCorrection2 = 1 / correction2.squareRoot()
    let (p, g, m, v) = (
      store.values.baseAddress!, store.gradients.baseAddress!, store.firstMoments.baseAddress!,
      store.secondMoments.baseAddress!
    )
    parallelParts(store.count, grain: 1 << 16) { _, range in
      let i = range.lowerBound
      segma_adam_update(
        p + i, g + i, m + i, v + i, range.count, clip, beta1, beta2, stepSize, inverseRootCorrection2, epsilon)
    }
    return norm
  }
}
