#define _GNU_SOURCE
#include "segma_idle_spinners.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SPIN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define SPIN_PAUSE() __asm__ __volatile__("yield")
#else
#define SPIN_PAUSE() ((void)0)
#endif

// The counters the spinners read without end each have a cache line of their own: were
// one to share a line with data a worker writes, every write would be fetched back from
// the worker's core by the spinners, slowing the worker.
struct segma_idle_spinners {
  _Alignas(64) atomic_int stop;
  _Alignas(64) atomic_int running;
  // The current job: its number in the high 32 bits, the next unclaimed part in the
  // low 32. A claim is a compare-and-swap on both, so a spinner still holding an older
  // job's ticket can never take a part of the next one.
  _Alignas(64) atomic_ullong ticket;
  _Alignas(64) atomic_int parts_done;
  _Alignas(64) atomic_int in_use;
  // Written by the caller before it publishes the ticket (release), read after a claim.
  segma_part_function function;
  void *context;
  atomic_int parts;
  int count;
  pthread_t threads[];
};

// Claims and runs parts of the job `job` until none is left.
static void run_parts(segma_idle_spinners *spinners, unsigned long long job) {
  unsigned long long ticket = atomic_load_explicit(&spinners->ticket, memory_order_acquire);
  while ((ticket >> 32) == job &&
         (int)(ticket & 0xffffffffu) < atomic_load_explicit(&spinners->parts, memory_order_relaxed)) {
    if (!atomic_compare_exchange_weak_explicit(&spinners->ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    spinners->function(spinners->context, (int)(ticket & 0xffffffffu));
    atomic_fetch_add_explicit(&spinners->parts_done, 1, memory_order_release);
    ticket = atomic_load_explicit(&spinners->ticket, memory_order_acquire);
  }
}

#if defined(__linux__) && defined(SCHED_IDLE)
static void set_policy(int policy) {
  const struct sched_param parameters = {0};
  pthread_setschedparam(pthread_self(), policy, &parameters);
}
#endif

static void *spin(void *argument) {
  segma_idle_spinners *spinners = argument;
#if defined(__linux__) && defined(SCHED_IDLE)
  // A name of its own, so that top -H and perf report --comms can tell spinning from work.
  pthread_setname_np(pthread_self(), "segma-spinner");
  const struct sched_param lowest = {0};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest) != 0) return NULL;
#else
  return NULL;
#endif
  atomic_fetch_add(&spinners->running, 1);
  unsigned long long seen = atomic_load_explicit(&spinners->ticket, memory_order_acquire) >> 32;
  while (!atomic_load_explicit(&spinners->stop, memory_order_relaxed)) {
    const unsigned long long job = atomic_load_explicit(&spinners->ticket, memory_order_acquire) >> 32;
    if (job == seen) {
      // pause: the spin-wait hint, which spares the core's pipeline and its SMT sibling.
      SPIN_PAUSE();
      continue;
    }
    seen = job;
#if defined(__linux__) && defined(SCHED_IDLE)
    // Work runs at normal priority, so a busy machine cannot starve the caller's parts.
    set_policy(SCHED_OTHER);
    run_parts(spinners, job);
    set_policy(SCHED_IDLE);
#endif
  }
  atomic_fetch_sub(&spinners->running, 1);
  return NULL;
}

int segma_idle_spinners_run(segma_idle_spinners *spinners, int parts, segma_part_function function,
                            void *context) {
  if (!spinners || parts < 1) return 0;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&spinners->in_use, &expected, 1)) return 0;
  spinners->function = function;
  spinners->context = context;
  atomic_store_explicit(&spinners->parts, parts, memory_order_relaxed);
  atomic_store_explicit(&spinners->parts_done, 0, memory_order_relaxed);
  const unsigned long long job = (atomic_load_explicit(&spinners->ticket, memory_order_relaxed) >> 32) + 1;
  atomic_store_explicit(&spinners->ticket, job << 32, memory_order_release);
  run_parts(spinners, job);
  // The parts spinners took: wait for them, yielding now and then in case one of them
  // shares this core.
  for (int spins = 1; atomic_load_explicit(&spinners->parts_done, memory_order_acquire) < parts; spins++) {
    if (spins % 4096 == 0) sched_yield();
    else SPIN_PAUSE();
  }
  atomic_store_explicit(&spinners->in_use, 0, memory_order_release);
  return 1;
}

segma_idle_spinners *segma_idle_spinners_start(int count) {
  if (count < 1) return NULL;
  const size_t size = sizeof(segma_idle_spinners) + (size_t)count * sizeof(pthread_t);
  segma_idle_spinners *spinners = aligned_alloc(64, (size + 63) / 64 * 64);
  if (!spinners) return NULL;
  atomic_init(&spinners->stop, 0);
  atomic_init(&spinners->running, 0);
  atomic_init(&spinners->ticket, 0);
  atomic_init(&spinners->parts_done, 0);
  atomic_init(&spinners->in_use, 0);
  atomic_init(&spinners->parts, 0);
  spinners->count = 0;
  // New threads inherit the creator's signal mask: block everything while creating them.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (int i = 0; i < count; i++) {
    if (pthread_create(&spinners->threads[spinners->count], NULL, spin, spinners) == 0) spinners->count++;
  }
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (spinners->count == 0) {
    free(spinners);
    return NULL;
  }
  return spinners;
}

int segma_idle_spinners_running(const segma_idle_spinners *spinners) {
  return spinners ? atomic_load(&spinners->running) : 0;
}

void segma_idle_spinners_stop(segma_idle_spinners *spinners) {
  if (!spinners) return;
  atomic_store(&spinners->stop, 1);
  for (int i = 0; i < spinners->count; i++) pthread_join(spinners->threads[i], NULL);
  free(spinners);
}
