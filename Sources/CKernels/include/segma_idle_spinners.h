#ifndef SEGMA_IDLE_SPINNERS_H
#define SEGMA_IDLE_SPINNERS_H

/// Threads that keep otherwise idle cores busy during training, at the lowest
/// scheduling priority Linux has (SCHED_IDLE), so they run only when nothing else can,
/// and that take the parts of parallel loops handed to them (`segma_idle_spinners_run`).
///
/// Why: a training step hands work to the other core some 30 times, and between
/// hand-overs that core sleeps. On a virtual machine a sleeping virtual CPU is given
/// back to the host, and waking a sleeping thread took 40-90 us per hand-over here;
/// PyTorch's OpenMP threads spin while they wait instead. Spinning alone (the workers
/// still Dispatch's) made training 7-9% faster on our 2-core VM; taking the parts too,
/// another 7-12% (medians of 3-5 alternating runs each).

typedef struct segma_idle_spinners segma_idle_spinners;

/// Starts `count` spinners, named "segma-spinner", with all signals blocked (signals
/// go to the program's own threads). Returns NULL when none could start; a thread that
/// cannot lower its priority to SCHED_IDLE (not Linux) ends at once instead of
/// competing with the workers.
segma_idle_spinners *segma_idle_spinners_start(int count);

/// How many spinners are running at SCHED_IDLE now (for tests: they start asynchronously).
int segma_idle_spinners_running(const segma_idle_spinners *spinners);

/// One part of a parallel loop: `part` in 0 ..< parts.
typedef void (*segma_part_function)(void *context, int part);

/// Runs function(context, part) for every part in 0 ..< parts, on the calling thread
/// and on whichever spinners are free: a spinner notices new work within a few hundred
/// nanoseconds, where waking a sleeping thread takes 40-90 us on our VM. Parts are
/// claimed one at a time, so the caller runs any part no spinner takes, and a spinner
/// runs its part at normal priority. Returns 0, having run nothing, when another thread
/// is using the spinners; the caller then runs the parts its own way.
int segma_idle_spinners_run(segma_idle_spinners *spinners, int parts, segma_part_function function,
                            void *context);

/// Stops and joins the spinners and frees them. Accepts NULL.
void segma_idle_spinners_stop(segma_idle_spinners *spinners);

#endif
