/// Convolutions with 4x4 kernels, stride 2, padding 1, through im2col + SGEMM.
///
/// Legend: B batch, C/O in/out channels, H/W input side, Ho/Wo output side.
/// Images are planar (C, H, W) per sample; weights use PyTorch's layouts so the
/// reference check can load the same tensors.

/// y (B, O, H/2, W/2) = conv(x (B, C, H, W), w (O, C, 4, 4)) + b (O).
public struct Conv2D: Sendable {
  public let inChannels: Int, outChannels: Int
  /// Input side; the output is half of it.
  public let height: Int, width: Int
  public let weightSlot: Int, biasSlot: Int

  public init(inChannels: Int, outChannels: Int, height: Int, width: Int, weightSlot: Int, biasSlot: Int) {
    precondition(height % 2 == 0 && width % 2 == 0, "conv input sides must be even")
    (self.inChannels, self.outChannels, self.height, self.width) = (inChannels, outChannels, height, width)
    (self.weightSlot, self.biasSlot) = (weightSlot, biasSlot)
  }

  public var inputSize: Int { inChannels * height * width }
  public var outputSize: Int { outChannels * (height / 2) * (width / 2) }
  /// Floats of scratch `forward`/`backward` need: one image's columns.
  public var scratchSize: Int { inChannels * 16 * (height / 2) * (width / 2) }

  /// Overwrites y. `scratch` holds at least `scratchSize` floats.
  public func forward(x: FloatView, y: MutableFloatView, batch: Int, parameters: ParameterStore, scratch: MutableFloatView) {
    precondition(x.count >= batch * inputSize && y.count >= batch * outputSize && scratch.count >= scratchSize)
    let w = parameters.values(weightSlot), b = parameters.values(biasSlot)
    let plane = (height / 2) * (width / 2)
    for n in 0..<batch {
      Im2Col.im2col(
        image: x.baseAddress! + n * inputSize, channels: inChannels, height: height, width: width,
        cols: scratch.baseAddress!)
      let out = y.baseAddress! + n * outputSize
      // y_n (O, Ho·Wo) = w (O, C·16) · cols (C·16, Ho·Wo)
      gemm(
        .none, .none, m: outChannels, n: plane, k: inChannels * 16, a: w.baseAddress!, lda: inChannels * 16,
        b: scratch.baseAddress!, ldb: plane, beta: 0, c: out, ldc: plane)
      for o in 0..<outChannels {
        for j in 0..<plane { out[o * plane + j] += b[o] }
      }
    }
  }

  // forward was: y_n = w · im2col(x_n) + b
  // so:          dw = Σ_n dy_n · im2col(x_n)ᵀ,  db = Σ_n Σ dy_n,  dx_n = col2im(wᵀ · dy_n)
  /// Overwrites the parameter gradients and, if given, dx. `scratch` holds 2 · `scratchSize` floats.
  public func backward(
    dy: FloatView, x: FloatView, dx: MutableFloatView?, batch: Int, parameters: ParameterStore,
    scratch: MutableFloatView
  ) {
    precondition(scratch.count >= 2 * scratchSize)
    let w = parameters.values(weightSlot)
    let dw = parameters.gradients(weightSlot), db = parameters.gradients(biasSlot)
    let plane = (height / 2) * (width / 2)
    let cols = scratch.baseAddress!, dCols = scratch.baseAddress! + scratchSize
    dw.update(repeating: 0)
    db.update(repeating: 0)
    for n in 0..<batch {
      let g = dy.baseAddress! + n * outputSize
      Im2Col.im2col(image: x.baseAddress! + n * inputSize, channels: inChannels, height: height, width: width, cols: cols)
      gemm(
        .none, .transposed, m: outChannels, n: inChannels * 16, k: plane, a: g, lda: plane, b: cols, ldb: plane,
        beta: 1, c: dw.baseAddress!, ldc: inChannels * 16)
      for o in 0..<outChannels {
        var sum: Float = 0
        for j in 0..<plane { sum += g[o * plane + j] }
        db[o] += sum
      }
      if let dx {
        gemm(
          .transposed, .none, m: inChannels * 16, n: plane, k: outChannels, a: w.baseAddress!, lda: inChannels * 16,
          b: g, ldb: plane, beta: 0, c: dCols, ldc: plane)
        (dx.baseAddress! + n * inputSize).update(repeating: 0, count: inputSize)
        Im2Col.col2im(cols: dCols, channels: inChannels, height: height, width: width, image: dx.baseAddress! + n * inputSize)
      }
    }
  }
}

/// y (B, O, 2H, 2W) = convTranspose(x (B, C, H, W), w (C, O, 4, 4)) + b (O): the adjoint
/// of `Conv2D` from O to C channels, as PyTorch's ConvTranspose2d(C, O, 4, stride 2, padding 1).
public struct ConvTranspose2D: Sendable {
  public let inChannels: Int, outChannels: Int
  /// Input side; the output is twice it.
  public let height: Int, width: Int
  public let weightSlot: Int, biasSlot: Int

  public init(inChannels: Int, outChannels: Int, height: Int, width: Int, weightSlot: Int, biasSlot: Int) {
    (self.inChannels, self.outChannels, self.height, self.width) = (inChannels, outChannels, height, width)
    (self.weightSlot, self.biasSlot) = (weightSlot, biasSlot)
  }

  public var inputSize: Int { inChannels * height * width }
  public var outputSize: Int { outChannels * 4 * height * width }
  public var scratchSize: Int { outChannels * 16 * height * width }

  /// Overwrites y. `scratch` holds at least `scratchSize` floats.
  public func forward(x: FloatView, y: MutableFloatView, batch: Int, parameters: ParameterStore, scratch: MutableFloatView) {
    precondition(x.count >= batch * inputSize && y.count >= batch * outputSize && scratch.count >= scratchSize)
    let w = parameters.values(weightSlot), b = parameters.values(biasSlot)
    let plane = height * width, outPlane = 4 * plane
    for n in 0..<batch {
      // cols (O·16, H·W) = wᵀ (O·16, C) · x_n (C, H·W), then scattered into the doubled image.
      gemm(
        .transposed, .none, m: outChannels * 16, n: plane, k: inChannels, a: w.baseAddress!, lda: outChannels * 16,
        b: x.baseAddress! + n * inputSize, ldb: plane, beta: 0, c: scratch.baseAddress!, ldc: plane)
      let out = y.baseAddress! + n * outputSize
      for o in 0..<outChannels {
        for j in 0..<outPlane { out[o * outPlane + j] = b[o] }
      }
      Im2Col.col2im(cols: scratch.baseAddress!, channels: outChannels, height: 2 * height, width: 2 * width, image: out)
    }
  }

  // forward was: y_n = col2im(wᵀ · x_n) + b
  // so:          dCols = im2col(dy_n),  dw = Σ_n x_n · dColsᵀ,  dx_n = w · dCols,  db = Σ_n Σ dy_n
  /// Overwrites the parameter gradients and, if given, dx. `scratch` holds `scratchSize` floats.
  public func backward(
    dy: FloatView, x: FloatView, dx: MutableFloatView?, batch: Int, parameters: ParameterStore,
    scratch: MutableFloatView
  ) {
    precondition(scratch.count >= scratchSize)
    let w = parameters.values(weightSlot)
    let dw = parameters.gradients(weightSlot), db = parameters.gradients(biasSlot)
    let plane = height * width, outPlane = 4 * plane
    dw.update(repeating: 0)
    db.update(repeating: 0)
    for n in 0..<batch {
      let g = dy.baseAddress! + n * outputSize
      Im2Col.im2col(image: g, channels: outChannels, height: 2 * height, width: 2 * width, cols: scratch.baseAddress!)
      gemm(
        .none, .transposed, m: inChannels, n: outChannels * 16, k: plane, a: x.baseAddress! + n * inputSize, lda: plane,
        b: scratch.baseAddress!, ldb: plane, beta: 1, c: dw.baseAddress!, ldc: outChannels * 16)
      if let dx {
        gemm(
          .none, .none, m: inChannels, n: plane, k: outChannels * 16, a: w.baseAddress!, lda: outChannels * 16,
          b: scratch.baseAddress!, ldb: plane, beta: 0, c: dx.baseAddress! + n * inputSize, ldc: plane)
      }
      for o in 0..<outChannels {
        var sum: Float = 0
        for j in 0..<outPlane { sum += g[o * outPlane + j] }
        db[o] += sum
      }
    }
  }
}
