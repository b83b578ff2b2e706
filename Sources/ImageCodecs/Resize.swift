/// Resampling: an area (box) filter when an axis shrinks, bilinear when it grows.
///
/// Area averaging keeps every source pixel's weight when shrinking (no aliasing
/// from skipped pixels); bilinear is smooth and exact at pixel centres when
/// enlarging. The two axes are resampled separately, each with its own filter.

/// For one axis: each output index's source taps and weights (weights sum to 1).
struct ResampleTaps {
  var start: [Int] = []
  var count: [Int] = []
  var index: [Int] = []
  var weight: [Float] = []

  init(from inSize: Int, to outSize: Int) {
    let scale = Double(inSize) / Double(outSize)
    for i in 0..<outSize {
      start.append(index.count)
      if outSize < inSize {
        // Output pixel i covers source interval [i·scale, (i+1)·scale).
        let low = Double(i) * scale, high = Double(i + 1) * scale
        var s = Int(low)
        while Double(s) < high, s < inSize {
          let overlap = min(high, Double(s + 1)) - max(low, Double(s))
          if overlap > 1e-9 {
            index.append(s)
            weight.append(Float(overlap / scale))
          }
          s += 1
        }
      } else {
        // Align pixel centres: output centre i + 0.5 maps to source (i + 0.5)·scale.
        let position = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(inSize - 1))
        let left = Int(position), right = min(left + 1, inSize - 1)
        let fraction = Float(position - Double(left))
        index.append(left)
        weight.append(1 - fraction)
        if right != left {
          index.append(right)
          weight.append(fraction)
        }
      }
      count.append(index.count - start[i])
    }
  }
}

extension PixelBuffer {
  /// The image resampled to `newWidth` × `newHeight`, as Float.
  public func resized(width newWidth: Int, height newHeight: Int) -> PixelBuffer {
    precondition(newWidth > 0 && newHeight > 0, "resize to an empty image")
    if newWidth == width && newHeight == height { return toFloat() }
    let source = floatSamples()
    let columns = ResampleTaps(from: width, to: newWidth)
    let rows = ResampleTaps(from: height, to: newHeight)

    // Horizontal pass: height × newWidth.
    var wide = [Float](repeating: 0, count: height * newWidth * channels)
    for y in 0..<height {
      for x in 0..<newWidth {
        for tap in columns.start[x]..<(columns.start[x] + columns.count[x]) {
          let from = (y * width + columns.index[tap]) * channels, to = (y * newWidth + x) * channels
          for c in 0..<channels { wide[to + c] += columns.weight[tap] * source[from + c] }
        }
      }
    }
    // Vertical pass: newHeight × newWidth.
    var out = [Float](repeating: 0, count: newHeight * newWidth * channels)
    let rowLength = newWidth * channels
    for y in 0..<newHeight {
      for tap in rows.start[y]..<(rows.start[y] + rows.count[y]) {
        let from = rows.index[tap] * rowLength, to = y * rowLength, w = rows.weight[tap]
        for i in 0..<rowLength { out[to + i] += w * wide[from + i] }
      }
    }
    return PixelBuffer(width: newWidth, height: newHeight, channels: channels, samples: .float(out))
  }
}
