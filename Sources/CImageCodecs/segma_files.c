/* See include/segma_files.h. */
#define _GNU_SOURCE
#include "segma_files.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

int segma_link_unnamed(int file, int folder, const char *name) {
#if defined(__linux__) && defined(AT_EMPTY_PATH)
  /* Set once the /proc link got past an ENOENT of the descriptor link: the kernel
     refuses those for this run. An ENOENT of both (the folder was removed) sets nothing. */
  static atomic_int empty_path_refused;
  const int refused = atomic_load_explicit(&empty_path_refused, memory_order_relaxed);
  if (!refused) {
    if (linkat(file, "", folder, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT) return -1;
  }
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", file);
  const int result = linkat(AT_FDCWD, path, folder, name, AT_SYMLINK_FOLLOW);
  if (!refused && (result == 0 || errno != ENOENT)) atomic_store_explicit(&empty_path_refused, 1, memory_order_relaxed);
  return result;
#else
  (void)file, (void)folder, (void)name;
  errno = EOPNOTSUPP;
  return -1;
#endif
}
