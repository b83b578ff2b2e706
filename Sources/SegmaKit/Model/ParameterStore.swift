/// All trainable parameters in one allocation, with gradients and Adam moments in
/// the same layout (llm.c's way): Adam, clipping and the model file are one loop each.
///
/// Goals: one allocation for the life of the model, views by index (no lookups by
/// name in the training loop), a layout fixed by the architecture's tensor list.
public final class ParameterStore {
  /// One named tensor of the store.
  public struct Slot: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
  }

  public let slots: [Slot]
  /// Floats in each of the four arrays: the parameters, and the padding that starts every
  /// slot on a 64-byte boundary (never read by a layer, its gradient stays zero).
  public let count: Int
  public let values: MutableFloatView
  public let gradients: MutableFloatView
  public let firstMoments: MutableFloatView
  public let secondMoments: MutableFloatView
  /// Adam steps taken so far (for bias correction).
  public var step = 0
  /// The four arrays, one after the other.
  private let block: MutableFloatView

  /// A store for the `(name, shape)` list, all zero.
  public init(layout: [(name: String, shape: [Int])]) {
    // Every slot starts on a cache line, and so does every row of a weight gradient
    // (784 or 1024 floats): the dW kernel's 32-byte stores then never straddle two lines
    // (segma_gemm.h; the mlp's four large dW GEMMs in a step: 6.9 -> 6.4 ms).
    let lineFloats = Self.alignment / MemoryLayout<Float>.stride
    func lineAligned(_ floats: Int) -> Int { (floats + lineFloats - 1) / lineFloats * lineFloats }
    var offset = 0
    var slots: [Slot] = []
    for (name, shape) in layout {
      precondition(shape.allSatisfy { $0 > 0 }, "empty tensor \(name)")
      slots.append(Slot(name: name, shape: shape, offset: offset))
      offset = lineAligned(offset + shape.reduce(1, *))
    }
    self.slots = slots
    count = offset
    block = .allocateZeroedPages(count: 4 * offset)  // page-aligned, so cache-line-aligned
    values = MutableFloatView(rebasing: block[0..<offset])
    gradients = MutableFloatView(rebasing: block[offset..<(2 * offset)])
    firstMoments = MutableFloatView(rebasing: block[(2 * offset)..<(3 * offset)])
    secondMoments = MutableFloatView(rebasing: block[(3 * offset)..<(4 * offset)])
  }

  /// Bytes to which each array and each slot is aligned: one cache line.
  static let alignment = 64

  deinit { block.deallocateZeroedPages() }

  /// The index of the slot called `name`, or nil.
  public func index(of name: String) -> Int? { slots.firstIndex { $0.name == name } }

  public func values(_ slot: Int) -> MutableFloatView { view(values, slot) }
  public func gradients(_ slot: Int) -> MutableFloatView { view(gradients, slot) }

  private func view(_ block: MutableFloatView, _ slot: Int) -> MutableFloatView {
    let s = slots[slot]
    return MutableFloatView(rebasing: block[s.offset..<(s.offset + s.count)])
  }
}
