#include "segma_convolution.h"
#include "segma_multiversion.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// With stride 2 and padding 1, output column ox of kernel column kx reads input column
// 2*ox - 1 + kx: kx = 1 and 2 read the even and odd pixels, kx = 0 and 3 the same
// shifted by one output column, with one padded end each. Rows likewise with ky.

#if defined(__x86_64__)
// Clang leaves the generic loops below scalar at these short rows; these are the
// deinterleave written out. A row of 8 input pixels (wo = 4) takes four SSE2 vectors
// (every x86-64 has SSE2); wider rows go 8 output columns at a time with AVX2.
static inline void copy_row_of_4(const float *restrict source, float *restrict k0, float *restrict k1,
                                 float *restrict k2, float *restrict k3) {
  const __m128 a = _mm_loadu_ps(source), b = _mm_loadu_ps(source + 4);
  const __m128 even = _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m128 odd = _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  _mm_storeu_ps(k0, _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(odd), 4)));  // 0, odd[0..<3]
  _mm_storeu_ps(k1, even);
  _mm_storeu_ps(k2, odd);
  _mm_storeu_ps(k3, _mm_castsi128_ps(_mm_srli_si128(_mm_castps_si128(even), 4)));  // even[1..<4], 0
}

__attribute__((target("avx2"))) static void copy_row_in_blocks_of_8(const float *restrict source, ptrdiff_t wo,
                                                                      float *restrict k0, float *restrict k1,
                                                                      float *restrict k2, float *restrict k3) {
  const __m256i lanes_in_order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  const __m256i one_later = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6), one_earlier = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0);
  for (ptrdiff_t ox = 0; ox < wo; ox += 8) {
    const __m256 a = _mm256_loadu_ps(source + 2 * ox), b = _mm256_loadu_ps(source + 2 * ox + 8);
    // The shuffles pick within 128-bit halves; the permute puts the halves' picks in order.
    const __m256 even = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), lanes_in_order);
    const __m256 odd = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)), lanes_in_order);
    const float before = ox > 0 ? source[2 * ox - 1] : 0, after = ox + 8 < wo ? source[2 * ox + 16] : 0;
    _mm256_storeu_ps(k0 + ox, _mm256_blend_ps(_mm256_permutevar8x32_ps(odd, one_later), _mm256_set1_ps(before), 0x01));
    _mm256_storeu_ps(k1 + ox, even);
    _mm256_storeu_ps(k2 + ox, odd);
    _mm256_storeu_ps(k3 + ox, _mm256_blend_ps(_mm256_permutevar8x32_ps(even, one_earlier), _mm256_set1_ps(after), 0x80));
  }
}
#endif

void segma_im2col_4x4s2(const float *restrict image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width,
                        float *restrict cols, ptrdiff_t row_stride) {
  const ptrdiff_t ho = height / 2, wo = width / 2;
#if defined(__x86_64__)
  const int has_avx2 = __builtin_cpu_supports("avx2");
#endif
  for (ptrdiff_t c = 0; c < channels; c++) {
    for (ptrdiff_t ky = 0; ky < 4; ky++) {
      float *restrict k0 = cols + (c * 16 + ky * 4) * row_stride;
      float *restrict k1 = k0 + row_stride, *restrict k2 = k1 + row_stride, *restrict k3 = k2 + row_stride;
      for (ptrdiff_t oy = 0; oy < ho; oy++) {
        const ptrdiff_t y = 2 * oy - 1 + ky, at = oy * wo;
        if (y < 0 || y >= height) {
          memset(k0 + at, 0, wo * sizeof(float));
          memset(k1 + at, 0, wo * sizeof(float));
          memset(k2 + at, 0, wo * sizeof(float));
          memset(k3 + at, 0, wo * sizeof(float));
          continue;
        }
        const float *restrict source = image + (c * height + y) * width;
#if defined(__x86_64__)
        if (wo == 4) {
          copy_row_of_4(source, k0 + at, k1 + at, k2 + at, k3 + at);
          continue;
        }
        if (wo % 8 == 0 && has_avx2) {
          copy_row_in_blocks_of_8(source, wo, k0 + at, k1 + at, k2 + at, k3 + at);
          continue;
        }
#endif
        for (ptrdiff_t ox = 0; ox < wo; ox++) {
          k1[at + ox] = source[2 * ox];
          k2[at + ox] = source[2 * ox + 1];
        }
        k0[at] = 0;
        for (ptrdiff_t ox = 1; ox < wo; ox++) k0[at + ox] = source[2 * ox - 1];
        for (ptrdiff_t ox = 0; ox + 1 < wo; ox++) k3[at + ox] = source[2 * ox + 2];
        k3[at + wo - 1] = 0;
      }
    }
  }
}

// One image row from one kernel row's four columns k0..k3 (at the matching output row):
// pixel 2m gets k1[m] + k3[m - 1], pixel 2m + 1 gets k2[m] + k0[m + 1], where they exist.
// `start` is what the row starts from: a bias, or the row itself to accumulate.
static inline void col2im_row(float *restrict out, ptrdiff_t wo, const float *restrict k0, const float *restrict k1,
                              const float *restrict k2, const float *restrict k3, float bias, int accumulate) {
  if (wo == 1) {
    out[0] = (accumulate ? out[0] : bias) + k1[0];
    out[1] = (accumulate ? out[1] : bias) + k2[0];
    return;
  }
  if (accumulate) {
    out[0] += k1[0];
    out[1] += k2[0] + k0[1];
    for (ptrdiff_t m = 1; m + 1 < wo; m++) {
      out[2 * m] += k1[m] + k3[m - 1];
      out[2 * m + 1] += k2[m] + k0[m + 1];
    }
    out[2 * wo - 2] += k1[wo - 1] + k3[wo - 2];
    out[2 * wo - 1] += k2[wo - 1];
  } else {
    out[0] = bias + k1[0];
    out[1] = bias + (k2[0] + k0[1]);
    for (ptrdiff_t m = 1; m + 1 < wo; m++) {
      out[2 * m] = bias + (k1[m] + k3[m - 1]);
      out[2 * m + 1] = bias + (k2[m] + k0[m + 1]);
    }
    out[2 * wo - 2] = bias + (k1[wo - 1] + k3[wo - 2]);
    out[2 * wo - 1] = bias + k2[wo - 1];
  }
}

SEGMA_MULTIVERSION
void segma_col2im_4x4s2(const float *restrict cols, ptrdiff_t row_stride, ptrdiff_t channels, ptrdiff_t height,
                        ptrdiff_t width, const float *restrict bias, float *restrict image) {
  const ptrdiff_t ho = height / 2, wo = width / 2;
  for (ptrdiff_t c = 0; c < channels; c++) {
    const float start = bias ? bias[c] : 0;
    for (ptrdiff_t y = 0; y < height; y++) {
      // Row y = 2m takes ky = 1 at oy = m and ky = 3 at oy = m - 1;
      // row y = 2m + 1 takes ky = 2 at oy = m and ky = 0 at oy = m + 1.
      const ptrdiff_t m = y / 2;
      const ptrdiff_t first_ky = y % 2 ? 2 : 1, second_ky = y % 2 ? 0 : 3;
      const ptrdiff_t second_oy = y % 2 ? m + 1 : m - 1;
      float *restrict out = image + (c * height + y) * width;
      const float *k = cols + (c * 16 + first_ky * 4) * row_stride + m * wo;
      col2im_row(out, wo, k, k + row_stride, k + 2 * row_stride, k + 3 * row_stride, start, 0);
      if (second_oy < 0 || second_oy >= ho) continue;
      k = cols + (c * 16 + second_ky * 4) * row_stride + second_oy * wo;
      col2im_row(out, wo, k, k + row_stride, k + 2 * row_stride, k + 3 * row_stride, 0, 1);
    }
  }
}

SEGMA_MULTIVERSION
void segma_transpose_planes(const float *restrict source, float *restrict target, ptrdiff_t images,
                            ptrdiff_t channels, ptrdiff_t plane, int to_channel_major) {
  for (ptrdiff_t i = 0; i < images; i++) {
    for (ptrdiff_t c = 0; c < channels; c++) {
      const ptrdiff_t image_major = (i * channels + c) * plane, channel_major = (c * images + i) * plane;
      const float *restrict from = source + (to_channel_major ? image_major : channel_major);
      float *restrict to = target + (to_channel_major ? channel_major : image_major);
      for (ptrdiff_t j = 0; j < plane; j++) to[j] = from[j];
    }
  }
}

SEGMA_MULTIVERSION
void segma_add_row_sums(const float *restrict rows, ptrdiff_t count, ptrdiff_t length, ptrdiff_t row_stride,
                        float *restrict sums) {
  for (ptrdiff_t r = 0; r < count; r++) {
    const float *restrict row = rows + r * row_stride;
    // Eight partial sums, a vector register's worth, so the loop vectorises without
    // reassociating anything the C standard forbids.
    float lanes[8] = {0};
    ptrdiff_t i = 0;
    for (; i + 8 <= length; i += 8) {
      for (int lane = 0; lane < 8; lane++) lanes[lane] += row[i + lane];
    }
    for (; i < length; i++) lanes[0] += row[i];
    float sum = 0;
    for (int lane = 0; lane < 8; lane++) sum += lanes[lane];
    sums[r] += sum;
  }
}
