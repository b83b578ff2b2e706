/// The reconstruction loss, fused with the decoder's output sigmoid.
///
/// ```
/// out = σ(logits),  REC = 1/B Σ_b Σ_p (out_bp − x_bp)²
/// ```
/// REC is the mean over the batch of each image's *sum* of squared errors (DESIGN §1).
/// Fusing the sigmoid saves a pass and keeps its derivative next to the loss's.
public enum Reconstruction {
  /// Writes σ(logits) into `output` and returns REC against `target` (B·P values).
  public static func forward(logits: FloatView, target: FloatView, output: MutableFloatView, count: Int, batch: Int)
    -> Float
  {
    // Split over the workers: on one thread this pass (an e^x per pixel) was 3% of an mlp step.
    let sum = parallelSum(count, grain: elementsPerPart) { range in
      var sum: Double = 0
      for i in range {
        let out = sigmoid(logits[i])
        output[i] = out
        let error = out - target[i]
        sum += Double(error * error)
      }
      return sum
    }
    return Float(sum / Double(batch))
  }

  /// Pixels worth handing to another worker (some 50 µs of work).
  private static let elementsPerPart = 1 << 13

  // forward was: out = σ(logit), REC = 1/B Σ (out − x)²
  // so:          dLogit = scale · 2/B · (out − x) · out · (1 − out)
  /// Overwrites dLogits with scale · ∂REC/∂logits, from the cached `output`.
  public static func backward(
    output: FloatView, target: FloatView, dLogits: MutableFloatView, count: Int, batch: Int, scale: Float = 1
  ) {
    let factor = scale * 2 / Float(batch)
    parallelParts(count, grain: 4 * elementsPerPart) { _, range in
      for i in range {
        let out = output[i]
        dLogits[i] = factor * (out - target[i]) * out * (1 - out)
      }
    }
  }
}
