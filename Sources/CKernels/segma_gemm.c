#include "segma_gemm.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Register tile of C: 6 rows of two 8-float vectors, 12 of the 16 ymm registers, the rest
// hold B's two vectors and A's broadcast (the shape of BLIS's Haswell sgemm kernel).
enum { MR = 6, NR = 16 };
// Floats of A packed at a time, 192 KB: the block stays in a core's L2 (512 KB on this
// machine's Zen) while each column panel of B, K x 16 floats, sits in L1 and passes over it.
enum { A_BLOCK_FLOATS = 48 * 1024 };
// Columns of B packed at a time: the mlp's widest layer, so each of its gradients packs
// each operand once, and the work space stays within 2 MB at k = 512 whatever n is.
enum { B_BLOCK_COLUMNS = 1024 };

#define AVX2 __attribute__((target("avx2,fma")))

int segma_gemm_tn_available(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

static int at_most(int value, int limit) { return value < limit ? value : limit; }

// Rows [row, row + rows) of Aᵀ as 6 floats per k, zeros past `rows`.
static void pack_a_panel(const float *a, int lda, int k, int row, int rows, float *panel) {
  for (int kk = 0; kk < k; kk++) {
    const float *from = a + (size_t)kk * lda + row;
    float *to = panel + (size_t)kk * MR;
    for (int r = 0; r < rows; r++) to[r] = from[r];
    for (int r = rows; r < MR; r++) to[r] = 0;
  }
}

// Columns [column, column + columns) of B as 16 floats per k, zeros past `columns`.
static void pack_b_panel(const float *b, int ldb, int k, int column, int columns, float *panel) {
  for (int kk = 0; kk < k; kk++) {
    const float *from = b + (size_t)kk * ldb + column;
    float *to = panel + (size_t)kk * NR;
    memcpy(to, from, (size_t)columns * sizeof(float));
    for (int j = columns; j < NR; j++) to[j] = 0;
  }
}

// One 6 x 16 tile of C over all of k; `rows` x `columns` of it are stored.
AVX2 static void tile(int k, const float *pa, const float *pb, float *c, int ldc, int rows, int columns) {
  __m256 acc[MR][2];
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int kk = 0; kk < k; kk++, pa += MR, pb += NR) {
    __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
    for (int r = 0; r < MR; r++) {
      __m256 a = _mm256_broadcast_ss(pa + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  if (rows == MR && columns == NR) {
    for (int r = 0; r < MR; r++) {
      _mm256_storeu_ps(c + (size_t)r * ldc, acc[r][0]);
      _mm256_storeu_ps(c + (size_t)r * ldc + 8, acc[r][1]);
    }
    return;
  }
  float edge[MR][NR];
  for (int r = 0; r < MR; r++) {
    _mm256_storeu_ps(edge[r], acc[r][0]);
    _mm256_storeu_ps(edge[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < rows; r++) memcpy(c + (size_t)r * ldc, edge[r], (size_t)columns * sizeof(float));
}

AVX2 static void multiply(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc,
                          float *packed_a, float *packed_b) {
  int block_rows = A_BLOCK_FLOATS / k / MR * MR;
  for (int first_column = 0; first_column < n; first_column += B_BLOCK_COLUMNS) {
    int column_panels = (at_most(n - first_column, B_BLOCK_COLUMNS) + NR - 1) / NR;
    for (int q = 0; q < column_panels; q++) {
      int column = first_column + q * NR;
      pack_b_panel(b, ldb, k, column, at_most(n - column, NR), packed_b + (size_t)q * NR * k);
    }
    for (int first_row = 0; first_row < m; first_row += block_rows) {
      int row_panels = (at_most(m - first_row, block_rows) + MR - 1) / MR;
      for (int p = 0; p < row_panels; p++) {
        int row = first_row + p * MR;
        pack_a_panel(a, lda, k, row, at_most(m - row, MR), packed_a + (size_t)p * MR * k);
      }
      for (int q = 0; q < column_panels; q++) {
        int column = first_column + q * NR, columns = at_most(n - column, NR);
        for (int p = 0; p < row_panels; p++) {
          int row = first_row + p * MR, rows = at_most(m - row, MR);
          tile(k, packed_a + (size_t)p * MR * k, packed_b + (size_t)q * NR * k, c + (size_t)row * ldc + column,
               ldc, rows, columns);
        }
      }
    }
  }
}

int segma_gemm_tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
  if (m <= 0 || n <= 0) return 0;
  if (k < 1 || k > segma_gemm_tn_max_k || !segma_gemm_tn_available()) return -1;
  // B's panels first: each is a multiple of 16 floats, so all stay 64-byte aligned.
  size_t b_floats = (size_t)((at_most(n, B_BLOCK_COLUMNS) + NR - 1) / NR) * NR * k, a_floats = A_BLOCK_FLOATS;
  float *work = aligned_alloc(64, (a_floats + b_floats) * sizeof(float));
  if (!work) return -1;
  multiply(m, n, k, a, lda, b, ldb, c, ldc, work + b_floats, work);
  free(work);
  return 0;
}

#else

int segma_gemm_tn_available(void) { return 0; }

int segma_gemm_tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
  (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c, (void)ldc;
  return -1;
}

#endif
