/* See include/segma_files.h. */
#define _GNU_SOURCE
#include "segma_files.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

int segma_link_unnamed(int file, int folder, const char *name) {
#if defined(__linux__) && defined(AT_EMPTY_PATH)
  /* Set by the first refusal: the kernel will not change its mind within a run. */
  static atomic_int empty_path_refused;
  if (!atomic_load_explicit(&empty_path_refused, memory_order_relaxed)) {
    if (linkat(file, "", folder, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT) return -1;
    atomic_store_explicit(&empty_path_refused, 1, memory_order_relaxed);
  }
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", file);
  return linkat(AT_FDCWD, path, folder, name, AT_SYMLINK_FOLLOW);
#else
  (void)file, (void)folder, (void)name;
  errno = EOPNOTSUPP;
  return -1;
#endif
}
