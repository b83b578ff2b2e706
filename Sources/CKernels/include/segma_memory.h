#ifndef SEGMA_MEMORY_H
#define SEGMA_MEMORY_H

#if defined(__linux__)
#include <malloc.h>
#endif

/// Gives the C library's free memory back to the system (glibc's malloc_trim; nothing
/// elsewhere). glibc keeps freed memory for reuse, and after a large block is freed (a
/// model file's 15 MB) it keeps up to twice that before trimming.
static inline void segma_release_free_memory(void) {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

#endif
