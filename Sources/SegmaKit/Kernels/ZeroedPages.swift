#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeMutableBufferPointer where Element == Float {
  /// `count` zeros on fresh pages from the kernel, page-aligned. Nothing is written: a page
  /// gets memory only when first touched, so a model that only runs forward never pays
  /// for its gradients, Adam moments and backward buffers. Writing the zeros faulted in
  /// every page at each start-up instead: with the default model a command started in
  /// 0.13 s instead of 0.065 and peaked at 116 MB instead of 55. Free with
  /// `deallocateZeroedPages`; out of memory traps, as Swift's own allocation does.
  static func allocateZeroedPages(count: Int) -> Self {
    let bytes = Swift.max(1, count) * MemoryLayout<Float>.stride
    guard let start = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), start != MAP_FAILED
    else { fatalError("out of memory: \(bytes) bytes") }
    #if os(Linux)
    // Large buffers (the parameter store, a network's activations) on 2 MB pages where
    // Linux gives them on request (transparent huge pages set to "madvise", as here): a
    // training step streams over 60 MB of parameters, gradients and moments, 15,000 TLB
    // entries with 4 KB pages. mlp training: medians of 10 alternating epochs 4,121 ->
    // 4,242 img/s, a gain smaller than this machine's spread (3,381-4,487); `transfer`
    // of nothing: RSS 55 -> 57 MB.
    if bytes >= 4 << 20 { madvise(start, bytes, MADV_HUGEPAGE) }
    #endif
    return Self(start: start.bindMemory(to: Float.self, capacity: count), count: count)
  }

  func deallocateZeroedPages() {
    munmap(UnsafeMutableRawPointer(baseAddress!), Swift.max(1, count) * MemoryLayout<Float>.stride)
  }
}
