/* File-system calls whose flags are macros Swift cannot import. */
#ifndef SEGMA_FILES_H
#define SEGMA_FILES_H

#include <fcntl.h>

#if defined(__linux__) && defined(__O_TMPFILE)
/* An unnamed regular file in the folder `folder` (O_TMPFILE), for writing and then
 * linking to its name; -1 with errno (EOPNOTSUPP and others) where the file system
 * cannot. glibc defines O_TMPFILE only under _GNU_SOURCE, which the C library module
 * Swift shares is not built with; __O_TMPFILE (which includes O_DIRECTORY) is the same
 * value, defined for every architecture. */
static inline int segma_open_unnamed(int folder) {
  return openat(folder, ".", O_WRONLY | __O_TMPFILE | O_CLOEXEC, 0666);
}
#else
#include <errno.h>
static inline int segma_open_unnamed(int folder) {
  (void)folder;
  errno = EOPNOTSUPP;
  return -1;
}
#endif

/* Links the unnamed file `file` to `name` in the folder `folder`; 0, or -1 with errno.
 * linkat(AT_EMPTY_PATH) links the descriptor itself. Before Linux 6.10 it needs
 * CAP_DAC_READ_SEARCH and fails with ENOENT without it; the run then goes through the
 * /proc/self/fd link, which anyone may follow but which costs a walk of /proc per file
 * (linkat was 6% of `segma decode`'s time that way). */
int segma_link_unnamed(int file, int folder, const char *name);

#endif
