#ifndef SEGMA_IDLE_SPINNERS_H
#define SEGMA_IDLE_SPINNERS_H

/// Threads that keep otherwise idle cores busy during training, at the lowest
/// scheduling priority Linux has (SCHED_IDLE), so they run only when nothing else can.
///
/// Why: a training step hands work to the other core dozens of times, and between
/// hand-overs that core sleeps. On a virtual machine a sleeping virtual CPU is given
/// back to the host, and waking it again is slow: `segma train` lost 2-8% of its time
/// to the host, against 0-2% for PyTorch, whose OpenMP threads spin while they wait.
/// Spinners keep the virtual CPUs running (training 7-9% faster on our 2-core VM, in
/// medians of 4-5 alternating runs); a worker that wakes takes the core from a spinner
/// at once.

typedef struct segma_idle_spinners segma_idle_spinners;

/// Starts `count` spinners, named "segma-spinner", with all signals blocked (signals
/// go to the program's own threads). Returns NULL when none could start; a thread that
/// cannot lower its priority to SCHED_IDLE (not Linux) ends at once instead of
/// competing with the workers.
segma_idle_spinners *segma_idle_spinners_start(int count);

/// How many spinners are running at SCHED_IDLE now (for tests: they start asynchronously).
int segma_idle_spinners_running(const segma_idle_spinners *spinners);

/// Stops and joins the spinners and frees them. Accepts NULL.
void segma_idle_spinners_stop(segma_idle_spinners *spinners);

#endif
