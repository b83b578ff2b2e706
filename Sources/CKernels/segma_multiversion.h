#ifndef SEGMA_MULTIVERSION_H
#define SEGMA_MULTIVERSION_H

// Two builds of a kernel; the loader picks the AVX2+FMA one on CPUs that have it.
#if defined(__x86_64__) && defined(__clang__)
#define SEGMA_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SEGMA_MULTIVERSION
#endif

#endif
