import Dispatch

/// `transform` applied to every element on up to `threads` threads; results in input order.
///
/// Work is split into contiguous chunks, one per thread, so the result does not
/// depend on scheduling.
func parallelMap<Element: Sendable, Result: Sendable>(
  _ elements: [Element], threads: Int, _ transform: @Sendable (Element) -> Result
) -> [Result] {
  let workers = max(1, min(threads, elements.count))
  guard workers > 1 else { return elements.map(transform) }
  var results = [Result?](repeating: nil, count: elements.count)
  results.withUnsafeMutableBufferPointer { buffer in
    nonisolated(unsafe) let slots = buffer
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let range = chunk(worker, of: workers, count: elements.count)
      for i in range { slots[i] = transform(elements[i]) }
    }
  }
  return results.map { $0! }  // every slot was filled above
}

/// The `worker`-th of `workers` contiguous, nearly equal parts of 0..<count.
private func chunk(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
  (worker * count / workers)..<((worker + 1) * count / workers)
}
