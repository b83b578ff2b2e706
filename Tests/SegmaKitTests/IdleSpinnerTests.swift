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

  struct Failure: Error {}

  @Test func keepingCoresAwakeReturnsAndRethrowsWhatTheBodyDoes() {
    ComputeThreads.with(2) {
      #expect(ComputeThreads.keepingCoresAwake { 42 } == 42)
      #expect(throws: Failure.self) { try ComputeThreads.keepingCoresAwake { throw Failure() } }
    }
  }
}
