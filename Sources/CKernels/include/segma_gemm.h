#ifndef SEGMA_GEMM_H
#define SEGMA_GEMM_H

/// A weight gradient's GEMM, dW (M, N) = dYᵀ · X with dY (K, M) and X (K, N), for the
/// short K of a batch. OpenBLAS adds onto C, so C must first be cleared, and in a training
/// step C is a gradient last touched by Adam a step ago: clearing it and then reading it
/// back takes two passes over megabytes of memory. This kernel keeps each 6 x 16 tile of
/// C in registers over all of K and stores it once.
///
/// Ordinary stores, not streaming ones: with streaming stores the mlp's four large dW
/// GEMMs took 6.9 ms of a step against 6.4 ms (5 alternating runs, C aligned both ways).

/// Whether this CPU runs the kernel (AVX2 and FMA).
int segma_gemm_tn_available(void);

/// Largest K the kernel takes; longer products belong to SGEMM.
enum { segma_gemm_tn_max_k = 512 };

/// C (m, n) = Aᵀ · B, all row-major: A is (k, m) with row stride lda, B is (k, n) with row
/// stride ldb, C's row stride is ldc. C's old contents are never read (they may be NaN).
/// Each element is one sum over k in order, one fused multiply-add per term. Returns 0,
/// or -1 if the CPU lacks AVX2/FMA, k is out of range or the work space cannot be had
/// (C untouched then).
int segma_gemm_tn(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc);

#endif
