/// The two SeGMA architectures (DESIGN §2) as layer lists and a parameter layout.
///
/// Parameter names follow the PyTorch `nn.Sequential` the reference script builds
/// (`encoder.0.weight`, ReLUs and reshapes taking an index but no parameters), so a
/// PyTorch state dict and a segma model file name the same tensors.
public struct Architecture: Sendable {
  public let encoderLayers: [Layer]
  public let decoderLayers: [Layer]
  /// Every parameter tensor, in store order; the means (K, D) come last.
  public let layout: [(name: String, shape: [Int])]
  /// For each weight slot: its fan-in, as PyTorch's default initialisation uses it.
  public let fanIns: [Int]
  public let meansSlot: Int

  /// mlp: P → 1024 → 1024 → D with ReLU, mirrored decoder (the paper's MNIST model).
  /// conv: four 4x4 stride-2 convolutions (32, 32, 64, 64) → dense → D, mirrored with
  /// transposed convolutions. The decoder's last layer gives logits; the sigmoid is
  /// fused into the reconstruction loss.
  ///
  /// `hiddenWidth` and `convWidths` exist for the small PyTorch reference models of
  /// the tests; models always use the defaults.
  public init(
    _ kind: ModelConfig.Architecture, width: Int, height: Int, channels: Int, latentDimension d: Int, classes: Int,
    hiddenWidth: Int = 1024, convWidths: [Int] = [32, 32, 64, 64]
  ) {
    var builder = Builder()
    let pixels = width * height * channels
    switch kind {
    case .mlp:
      let hidden = hiddenWidth
      encoderLayers = [
        builder.linear("encoder.0", pixels, hidden), .relu(width: hidden),
        builder.linear("encoder.2", hidden, hidden), .relu(width: hidden),
        builder.linear("encoder.4", hidden, d),
      ]
      decoderLayers = [
        builder.linear("decoder.0", d, hidden), .relu(width: hidden),
        builder.linear("decoder.2", hidden, hidden), .relu(width: hidden),
        builder.linear("decoder.4", hidden, pixels),
      ]
    case .conv:
      precondition(width % 16 == 0 && height % 16 == 0, "conv needs sides divisible by 16")
      precondition(convWidths.count == 4, "conv has four convolutions")
      let widths = [channels] + convWidths
      var encoder: [Layer] = []
      for i in 0..<4 {
        let (h, w) = (height >> i, width >> i)
        encoder.append(builder.conv("encoder.\(2 * i)", widths[i], widths[i + 1], height: h, width: w))
        encoder.append(.relu(width: widths[i + 1] * (h / 2) * (w / 2)))
      }
      let flat = widths[4] * (height / 16) * (width / 16)
      // encoder.8 is the flatten, which is free in (C, H, W) order.
      encoder.append(builder.linear("encoder.9", flat, d))
      encoderLayers = encoder
      // decoder.2 is the unflatten back to (C₄, H/16, W/16).
      var decoder: [Layer] = [builder.linear("decoder.0", d, flat), .relu(width: flat)]
      for i in 0..<4 {
        let (h, w) = (height >> (4 - i), width >> (4 - i))
        let (from, to) = (widths[4 - i], widths[3 - i])
        decoder.append(builder.convTranspose("decoder.\(3 + 2 * i)", from, to, height: h, width: w))
        if i < 3 { decoder.append(.relu(width: to * 4 * h * w)) }
      }
      decoderLayers = decoder
    }
    meansSlot = builder.add("means", [classes, d], fanIn: 0)
    layout = builder.layout
    fanIns = builder.fanIns
  }

  private struct Builder {
    var layout: [(name: String, shape: [Int])] = []
    var fanIns: [Int] = []

    mutating func add(_ name: String, _ shape: [Int], fanIn: Int) -> Int {
      layout.append((name, shape))
      fanIns.append(fanIn)
      return layout.count - 1
    }

    mutating func linear(_ name: String, _ inputs: Int, _ outputs: Int) -> Layer {
      let w = add(name + ".weight", [outputs, inputs], fanIn: inputs)
      let b = add(name + ".bias", [outputs], fanIn: inputs)
      return .linear(Linear(inputs: inputs, outputs: outputs, weightSlot: w, biasSlot: b))
    }

    mutating func conv(_ name: String, _ inputs: Int, _ outputs: Int, height: Int, width: Int) -> Layer {
      let w = add(name + ".weight", [outputs, inputs, 4, 4], fanIn: inputs * 16)
      let b = add(name + ".bias", [outputs], fanIn: inputs * 16)
      return .conv(
        Conv2D(inChannels: inputs, outChannels: outputs, height: height, width: width, weightSlot: w, biasSlot: b))
    }

    mutating func convTranspose(_ name: String, _ inputs: Int, _ outputs: Int, height: Int, width: Int) -> Layer {
      // PyTorch takes a transposed convolution's fan-in from weight.size(1) = outputs.
      let w = add(name + ".weight", [inputs, outputs, 4, 4], fanIn: outputs * 16)
      let b = add(name + ".bias", [outputs], fanIn: outputs * 16)
      return .convTranspose(
        ConvTranspose2D(inChannels: inputs, outChannels: outputs, height: height, width: width, weightSlot: w, biasSlot: b))
    }
  }
}
