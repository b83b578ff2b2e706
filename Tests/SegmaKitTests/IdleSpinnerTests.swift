import CKernels
import SegmaKit
import Testing

/// The spinners that keep idle cores awake while training (`segma_idle_spinners.h`).
@Suite struct IdleSpinnerTests {
  #if os(Linux)
  /// Each spinner counts itself only once it runs at SCHED_IDLE, so all of them counted
  /// means none competes with the workers; stop must then end and join them.
  @Test(.timeLimit(.minutes(1))) func spinnersRunAtTheLowestPriorityUntilStopped() async throws {
    let spinners = try #require(segma_idle_spinners_start(2))
    let deadline = ContinuousClock.now + .seconds(20)
    while segma_idle_spinners_running(spinners) < 2 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(2))
    }
    #expect(segma_idle_spinners_running(spinners) == 2)
    segma_idle_spinners_stop(spinners)
  }
  #endif

  /// 2 spinners and the caller share 7 parts, 500 jobs in a row: every part of every
  /// job runs exactly once (a part claimed twice, or a job's part taken under the next
  /// job's ticket, shows as a count other than 1).
  @Test(.timeLimit(.minutes(1))) func everyPartRunsExactlyOnce() async throws {
    let spinners = try #require(segma_idle_spinners_start(2))
    defer { segma_idle_spinners_stop(spinners) }
    let (jobs, parts) = (500, 7)
    let counts = UnsafeMutablePointer<Int32>.allocate(capacity: jobs * parts)
    defer { counts.deallocate() }
    counts.initialize(repeating: 0, count: jobs * parts)
    for job in 0..<jobs {
      var slots = counts + job * parts
      let ran = segma_idle_spinners_run(spinners, Int32(parts), { context, part in
        // Each part writes only its own slot.
        let slots = context!.assumingMemoryBound(to: UnsafeMutablePointer<Int32>.self).pointee
        slots[Int(part)] += 1
      }, &slots)
      #expect(ran == 1)
    }
    #expect((0..<(jobs * parts)).allSatisfy { counts[$0] == 1 })
  }

  /// A part that asks for the spinners while they run its own job is told no (0) and runs nothing.
  @Test func theSpinnersTakeOneJobAtATime() throws {
    let spinners = try #require(segma_idle_spinners_start(1))
    defer { segma_idle_spinners_stop(spinners) }
    var context = (spinners: spinners, nested: Int32(-1))
    _ = segma_idle_spinners_run(spinners, 1, { context, _ in
      let outer = context!.assumingMemoryBound(to: (spinners: OpaquePointer, nested: Int32).self)
      outer.pointee.nested = segma_idle_spinners_run(outer.pointee.spinners, 1, { _, _ in }, nil)
    }, &context)
    #expect(context.nested == 0)
  }

  struct Failure: Error {}

  @Test func keepingCoresAwakeReturnsAndRethrowsWhatTheBodyDoes() {
    ComputeThreads.with(2) {
      #expect(ComputeThreads.keepingCoresAwake { 42 } == 42)
      #expect(throws: Failure.self) { try ComputeThreads.keepingCoresAwake { throw Failure() } }
    }
  }
}
