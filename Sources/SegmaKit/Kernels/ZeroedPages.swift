#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeMutableBufferPointer where Element == Float {
  /// `count` zeros on fresh pages from the kernel, page-aligned. Nothing is written: a page
  /// gets memory only when first touched, so a model that only runs forward never pays
  /// for its gradients, Adam moments and backward buffers. Writing the zeros faulted in
  /// every page at each start-up instead: 0.05 s and 45 MB of RSS for the default model.
  /// Free with `deallocateZeroedPages`.
  static func allocateZeroedPages(count: Int) -> Self {
    let bytes = Swift.max(1, count) * MemoryLayout<Float>.stride
    guard let start = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), start != MAP_FAILED
    else { fatalError("out of memory: \(bytes) bytes") }
    return Self(start: start.bindMemory(to: Float.self, capacity: count), count: count)
  }

  func deallocateZeroedPages() {
    munmap(UnsafeMutableRawPointer(baseAddress!), Swift.max(1, count) * MemoryLayout<Float>.stride)
  }
}
