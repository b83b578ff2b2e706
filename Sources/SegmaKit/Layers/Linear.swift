import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fully connected layer and the element-wise activations around it.
///
/// Legend: B batch, I/O in/out features. Row-major throughout.
/// Goals, in order: correct gradients (checked against finite differences and
/// PyTorch), no allocation per call, then speed (all heavy work in SGEMM).

/// y (B, O) = x (B, I) · wᵀ + b, with w (O, I) and b (O).
public struct Linear: Sendable {
  public let inputs: Int
  public let outputs: Int
  /// Slots of w and b in the parameter store.
  public let weightSlot: Int
  public let biasSlot: Int

  public init(inputs: Int, outputs: Int, weightSlot: Int, biasSlot: Int) {
    (self.inputs, self.outputs, self.weightSlot, self.biasSlot) = (inputs, outputs, weightSlot, biasSlot)
  }

  /// Overwrites y (B, O).
  public func forward(x: FloatView, y: MutableFloatView, batch: Int, parameters: ParameterStore) {
    precondition(x.count >= batch * inputs && y.count >= batch * outputs, "linear forward: buffer too small")
    let w = parameters.values(weightSlot), b = parameters.values(biasSlot)
    gemm(
      .none, .transposed, m: batch, n: outputs, k: inputs, a: x.baseAddress!, lda: inputs,
      b: w.baseAddress!, ldb: inputs, beta: 0, c: y.baseAddress!, ldc: outputs)
    // Split by rows, as every pass on the training step's path: one core idle while the
    // other adds biases was 1.4% of a step.
    parallelParts(batch, grain: max(1, Self.elementsPerPart / outputs)) { _, rows in
      for row in rows {
        let out = y.baseAddress! + row * outputs
        for o in 0..<outputs { out[o] += b[o] }
      }
    }
  }

  /// Elements of a bias pass worth handing to another worker (some 10 µs of work).
  private static let elementsPerPart = 1 << 15

  /// Overwrites dw = dyᵀ·x, db = Σ_rows dy and, if `dx` is given, dx = dy·w. Overwriting
  /// rather than accumulating spares a pass that zeroes every gradient before each step.
  public func backward(dy: FloatView, x: FloatView, dx: MutableFloatView?, batch: Int, parameters: ParameterStore) {
    precondition(dy.count >= batch * outputs && x.count >= batch * inputs, "linear backward: buffer too small")
    let w = parameters.values(weightSlot)
    let dw = parameters.gradients(weightSlot), db = parameters.gradients(biasSlot)
    gemm(
      .transposed, .none, m: outputs, n: inputs, k: batch, a: dy.baseAddress!, lda: outputs,
      b: x.baseAddress!, ldb: inputs, beta: 0, c: dw.baseAddress!, ldc: inputs, output: .weightGradient)
    // Split by columns; each sum still runs over the rows in order.
    parallelParts(outputs, grain: max(1, Self.elementsPerPart / max(1, batch))) { _, columns in
      for o in columns { db[o] = 0 }
      for row in 0..<batch {
        let g = dy.baseAddress! + row * outputs
        for o in columns { db[o] += g[o] }
      }
    }
    if let dx {
      precondition(dx.count >= batch * inputs, "linear backward: dx too small")
      gemm(
        .none, .none, m: batch, n: inputs, k: outputs, a: dy.baseAddress!, lda: outputs,
        b: w.baseAddress!, ldb: inputs, beta: 0, c: dx.baseAddress!, ldc: inputs)
    }
  }
}

/// ReLU and sigmoid, element-wise over `count` values.
public enum Activation {
  /// y = max(x, 0). Overwrites y; x and y may be the same buffer. Split over the workers,
  /// in C (`segma_kernels.h`) because Swift left the loop scalar.
  public static func reluForward(x: FloatView, y: MutableFloatView, count: Int) {
    parallelParts(count, grain: 1 << 15) { _, part in
      segma_relu_forward(x.baseAddress! + part.lowerBound, y.baseAddress! + part.lowerBound, part.count)
    }
  }

  // forward was: y = max(x, 0)
  // so:          dx = dy · [y > 0]   (uses the cached output)
  /// Overwrites dx; `y` is the forward output. dx may be dy's buffer.
  public static func reluBackward(dy: FloatView, y: FloatView, dx: MutableFloatView, count: Int) {
    parallelParts(count, grain: 1 << 15) { _, part in
      let at = part.lowerBound
      segma_relu_backward(dy.baseAddress! + at, y.baseAddress! + at, dx.baseAddress! + at, part.count)
    }
  }

  /// y = 1 / (1 + e^(−x)), written so that large |x| neither overflows nor loses y near 0.
  /// Split over the workers: decoding a batch of images calls e^x once per pixel.
  public static func sigmoidForward(x: FloatView, y: MutableFloatView, count: Int) {
    parallelParts(count, grain: 1 << 16) { _, range in
      for i in range { y[i] = sigmoid(x[i]) }
    }
  }
}

@inline(__always)
func sigmoid(_ x: Float) -> Float {
  x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
}
