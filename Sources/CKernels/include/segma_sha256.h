#ifndef SEGMA_SHA256_H
#define SEGMA_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) of model files: each command hashes its model (15 MB for the
/// default one) to name it in manifests, and one hash does not justify a crypto
/// dependency. Uses the CPU's SHA extensions where it has them (AMD Zen, Intel since
/// Ice Lake and Goldmont): 0.01 s for the default model instead of 0.06-0.08 s, which
/// every stage of a pipe pays at start-up.

/// The 32-byte digest of `size` bytes at `data`.
void segma_sha256(const void *data, size_t size, uint8_t digest[32]);

/// The same digest, never using the SHA extensions (for tests, and CPUs without them).
void segma_sha256_portable(const void *data, size_t size, uint8_t digest[32]);

/// Whether `segma_sha256` uses the SHA extensions on this CPU.
int segma_sha256_uses_extensions(void);

#endif
