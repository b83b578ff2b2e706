import CKernels

/// Convolutions with 4x4 kernels, stride 2, padding 1, through im2col + SGEMM. im2col,
/// col2im and the bias sums are vectorised C kernels (`segma_convolution.h`, which
/// defines the column layout).
///
/// Legend: B batch, C/O in/out channels, H/W input side, P the number of positions
/// one image's columns have, n images in a chunk. Images are planar (C, H, W) per
/// sample; weights use PyTorch's layouts so the reference check can load the same tensors.
///
/// The batch is split over the workers (`ComputeThreads`); each worker puts the
/// columns of a chunk of its images side by side, so one single-threaded GEMM covers
/// the chunk (a GEMM per image had 4 to 256 columns, too few for SGEMM to run near
/// its peak). Each worker adds its images' weight gradients into a share of its own;
/// the shares are summed in worker order afterwards.

/// Floats in one chunk's column matrix (C·16 x n·P): 256 KB, half a core's L2 cache
/// on the machines we measure, so the GEMM reads back from L2 what im2col has just
/// written (or col2im what the GEMM wrote). Chunks of 1,024 columns, as many as 4 MB for
/// the wider layers, made the conv training step slower: 74.0 against 63.2 ms in
/// `segma-bench roofline --arch conv` (medians of 10 alternating runs).
private let columnFloatsPerChunk = 1 << 16

/// How a layer's scratch is carved per worker: `columnRows` x `chunkColumns` columns and
/// as many for their gradient, `channelRows` channel-major rows, then the worker's share
/// of the weight and bias gradients.
private struct WorkspaceLayout {
  let columnRows: Int, channelRows: Int, chunkColumns: Int, weights: Int, bias: Int

  /// Floats per worker.
  var size: Int { (2 * columnRows + channelRows) * chunkColumns + weights + bias }

  func workspace(_ scratch: MutableFloatView, worker: Int) -> Workspace {
    precondition(scratch.count >= (worker + 1) * size, "convolution: scratch too small")
    var next = scratch.baseAddress! + worker * size
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
      defer { next += count }
      return next
    }
    return Workspace(
      columns: take(columnRows * chunkColumns), dColumns: take(columnRows * chunkColumns),
      channelMajor: take(channelRows * chunkColumns), dWeights: take(weights), dBias: take(bias))
  }

  /// A worker's workspace for backward, its gradient shares zeroed for the worker to add to.
  func backwardWorkspace(_ scratch: MutableFloatView, worker: Int) -> Workspace {
    let space = workspace(scratch, worker: worker)
    space.dWeights.update(repeating: 0, count: weights)
    space.dBias.update(repeating: 0, count: bias)
    return space
  }
}

/// A worker's part of the layer's scratch.
private struct Workspace {
  let columns: UnsafeMutablePointer<Float>
  let dColumns: UnsafeMutablePointer<Float>
  /// The chunk's images with channels outermost: (channels, n·P).
  let channelMajor: UnsafeMutablePointer<Float>
  let dWeights: UnsafeMutablePointer<Float>
  let dBias: UnsafeMutablePointer<Float>
}

/// The chunks of `images`, `size` images at most each.
private func chunks(_ images: Range<Int>, size: Int) -> some Sequence<Range<Int>> {
  stride(from: images.lowerBound, to: images.upperBound, by: size).lazy.map { $0..<min($0 + size, images.upperBound) }
}

/// dw = Σ over workers of their shares, db likewise, in worker order.
private func sumShares(
  into dw: MutableFloatView, _ db: MutableFloatView, workers: Int, layout: WorkspaceLayout, scratch: MutableFloatView
) {
  dw.update(repeating: 0)
  db.update(repeating: 0)
  for worker in 0..<workers {
    let share = layout.workspace(scratch, worker: worker)
    for i in dw.indices { dw[i] += share.dWeights[i] }
    for o in db.indices { db[o] += share.dBias[o] }
  }
}

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
  public var outputSize: Int { outChannels * plane }
  /// Output positions per image: the columns of its im2col matrix.
  private var plane: Int { (height / 2) * (width / 2) }
  private var patch: Int { inChannels * 16 }
  private var imagesPerChunk: Int { max(1, columnFloatsPerChunk / (patch * plane)) }

  /// Floats of scratch one worker needs; the caller provides `ComputeThreads.maximum` times this.
  public var scratchSize: Int { layout.size }

  private var layout: WorkspaceLayout {
    WorkspaceLayout(
      columnRows: patch, channelRows: outChannels, chunkColumns: imagesPerChunk * plane,
      weights: outChannels * patch, bias: outChannels)
  }

  /// Overwrites y.
  public func forward(x: FloatView, y: MutableFloatView, batch: Int, parameters: ParameterStore, scratch: MutableFloatView) {
    precondition(x.count >= batch * inputSize && y.count >= batch * outputSize)
    let w = parameters.values(weightSlot).baseAddress!, b = parameters.values(biasSlot)
    parallelParts(batch, grain: 1) { worker, images in
      let space = layout.workspace(scratch, worker: worker)
      for chunk in chunks(images, size: imagesPerChunk) {
        let columns = chunk.count * plane
        for (i, n) in chunk.enumerated() {
          segma_im2col_4x4s2(
            x.baseAddress! + n * inputSize, inChannels, height, width, space.columns + i * plane, columns)
        }
        // (O, n·P) = w (O, C·16) · columns (C·16, n·P)
        gemmOnOneThread(
          .none, .none, outChannels, columns, patch, 1, w, patch, space.columns, columns, 0, space.channelMajor, columns)
        for o in 0..<outChannels {
          let row = space.channelMajor + o * columns
          for j in 0..<columns { row[j] += b[o] }
        }
        segma_transpose_planes(
          space.channelMajor, y.baseAddress! + chunk.lowerBound * outputSize, chunk.count, outChannels, plane, 0)
      }
    }
  }

  // forward was: y_n = w · im2col(x_n) + b
  // so:          dw = Σ_n dy_n · im2col(x_n)ᵀ,  db = Σ_n Σ dy_n,  dx_n = col2im(wᵀ · dy_n)
  /// Overwrites the parameter gradients and, if given, dx.
  public func backward(
    dy: FloatView, x: FloatView, dx: MutableFloatView?, batch: Int, parameters: ParameterStore,
    scratch: MutableFloatView
  ) {
    let w = parameters.values(weightSlot).baseAddress!
    let workers = parallelParts(batch, grain: 1) { worker, images in
      let space = layout.backwardWorkspace(scratch, worker: worker)
      for chunk in chunks(images, size: imagesPerChunk) {
        let columns = chunk.count * plane
        let dyChunk = space.channelMajor
        segma_transpose_planes(dy.baseAddress! + chunk.lowerBound * outputSize, dyChunk, chunk.count, outChannels, plane, 1)
        for (i, n) in chunk.enumerated() {
          segma_im2col_4x4s2(
            x.baseAddress! + n * inputSize, inChannels, height, width, space.columns + i * plane, columns)
        }
        // share of dw (O, C·16) += dy (O, n·P) · columnsᵀ
        gemmOnOneThread(
          .none, .transposed, outChannels, patch, columns, 1, dyChunk, columns, space.columns, columns, 1,
          space.dWeights, patch)
        segma_add_row_sums(dyChunk, outChannels, columns, columns, space.dBias)
        guard let dx else { continue }
        // dColumns (C·16, n·P) = wᵀ · dy
        gemmOnOneThread(
          .transposed, .none, patch, columns, outChannels, 1, w, patch, dyChunk, columns, 0, space.dColumns, columns)
        for (i, n) in chunk.enumerated() {
          segma_col2im_4x4s2(
            space.dColumns + i * plane, columns, inChannels, height, width, nil, dx.baseAddress! + n * inputSize)
        }
      }
    }
    sumShares(
      into: parameters.gradients(weightSlot), parameters.gradients(biasSlot), workers: workers, layout: layout,
      scratch: scratch)
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

  public var inputSize: Int { inChannels * plane }
  public var outputSize: Int { outChannels * 4 * plane }
  /// Input positions per image: the columns of the output's im2col matrix.
  private var plane: Int { height * width }
  private var patch: Int { outChannels * 16 }
  private var imagesPerChunk: Int { max(1, columnFloatsPerChunk / (patch * plane)) }

  /// Floats of scratch one worker needs; the caller provides `ComputeThreads.maximum` times this.
  public var scratchSize: Int { layout.size }

  private var layout: WorkspaceLayout {
    WorkspaceLayout(
      columnRows: patch, channelRows: 2 * inChannels, chunkColumns: imagesPerChunk * plane,
      weights: inChannels * patch, bias: outChannels)
  }

  /// Overwrites y.
  public func forward(x: FloatView, y: MutableFloatView, batch: Int, parameters: ParameterStore, scratch: MutableFloatView) {
    precondition(x.count >= batch * inputSize && y.count >= batch * outputSize)
    let w = parameters.values(weightSlot).baseAddress!, b = parameters.values(biasSlot)
    parallelParts(batch, grain: 1) { worker, images in
      let space = layout.workspace(scratch, worker: worker)
      for chunk in chunks(images, size: imagesPerChunk) {
        let columns = chunk.count * plane
        segma_transpose_planes(
          x.baseAddress! + chunk.lowerBound * inputSize, space.channelMajor, chunk.count, inChannels, plane, 1)
        // columns (O·16, n·P) = wᵀ (O·16, C) · x (C, n·P), then scattered into the doubled images.
        gemmOnOneThread(
          .transposed, .none, patch, columns, inChannels, 1, w, patch, space.channelMajor, columns, 0, space.columns,
          columns)
        for (i, n) in chunk.enumerated() {
          segma_col2im_4x4s2(
            space.columns + i * plane, columns, outChannels, 2 * height, 2 * width, b.baseAddress!,
            y.baseAddress! + n * outputSize)
        }
      }
    }
  }

  // forward was: y_n = col2im(wᵀ · x_n) + b
  // so:          dColumns = im2col(dy_n),  dw = Σ_n x_n · dColumnsᵀ,  dx_n = w · dColumns,  db = Σ_n Σ dy_n
  /// Overwrites the parameter gradients and, if given, dx.
  public func backward(
    dy: FloatView, x: FloatView, dx: MutableFloatView?, batch: Int, parameters: ParameterStore,
    scratch: MutableFloatView
  ) {
    let w = parameters.values(weightSlot).baseAddress!
    let workers = parallelParts(batch, grain: 1) { worker, images in
      let space = layout.backwardWorkspace(scratch, worker: worker)
      for chunk in chunks(images, size: imagesPerChunk) {
        let columns = chunk.count * plane
        let xChunk = space.channelMajor, dxChunk = space.channelMajor + inChannels * columns
        for (i, n) in chunk.enumerated() {
          let g = dy.baseAddress! + n * outputSize
          segma_im2col_4x4s2(g, outChannels, 2 * height, 2 * width, space.dColumns + i * plane, columns)
          segma_add_row_sums(g, outChannels, 4 * plane, 4 * plane, space.dBias)
        }
        segma_transpose_planes(x.baseAddress! + chunk.lowerBound * inputSize, xChunk, chunk.count, inChannels, plane, 1)
        // share of dw (C, O·16) += x (C, n·P) · dColumnsᵀ
        gemmOnOneThread(
          .none, .transposed, inChannels, patch, columns, 1, xChunk, columns, space.dColumns, columns, 1,
          space.dWeights, patch)
        guard let dx else { continue }
        // dx (C, n·P) = w (C, O·16) · dColumns
        gemmOnOneThread(.none, .none, inChannels, columns, patch, 1, w, patch, space.dColumns, columns, 0, dxChunk, columns)
        segma_transpose_planes(dxChunk, dx.baseAddress! + chunk.lowerBound * inputSize, chunk.count, inChannels, plane, 0)
      }
    }
    sumShares(
      into: parameters.gradients(weightSlot), parameters.gradients(biasSlot), workers: workers, layout: layout,
      scratch: scratch)
  }
}
