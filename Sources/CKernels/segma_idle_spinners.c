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

// `stop`, which the spinners read without end, has a cache line of its own: were it
// to share one with data a worker writes, every write would be fetched back from the
// worker's core by the spinners, slowing the worker.
struct segma_idle_spinners {
  _Alignas(64) atomic_int stop;
  _Alignas(64) atomic_int running;
  int count;
  pthread_t threads[];
};

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
  // pause: the spin-wait hint, which spares the core's pipeline and its SMT sibling.
  while (!atomic_load_explicit(&spinners->stop, memory_order_relaxed)) SPIN_PAUSE();
  atomic_fetch_sub(&spinners->running, 1);
  return NULL;
}

segma_idle_spinners *segma_idle_spinners_start(int count) {
  if (count < 1) return NULL;
  const size_t size = sizeof(segma_idle_spinners) + (size_t)count * sizeof(pthread_t);
  segma_idle_spinners *spinners = aligned_alloc(64, (size + 63) / 64 * 64);
  if (!spinners) return NULL;
  atomic_init(&spinners->stop, 0);
  atomic_init(&spinners->running, 0);
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
