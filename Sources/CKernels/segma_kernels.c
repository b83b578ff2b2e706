#include "segma_kernels.h"
#include "segma_multiversion.h"

SEGMA_MULTIVERSION
double segma_sum_of_squares(const float *g, size_t n) {
  double sum = 0;
  for (size_t start = 0; start < n; start += 1024) {
    size_t end = start + 1024 < n ? start + 1024 : n;
    // Eight independent partial sums: a vector register's worth, so the loop vectorises
    // without reassociating anything the C standard forbids.
    float lanes[8] = {0};
    size_t i = start;
    for (; i + 8 <= end; i += 8) {
      for (int lane = 0; lane < 8; lane++) lanes[lane] += g[i + lane] * g[i + lane];
    }
    for (; i < end; i++) lanes[0] += g[i] * g[i];
    float run = 0;
    for (int lane = 0; lane < 8; lane++) run += lanes[lane];
    sum += run;
  }
  return sum;
}

SEGMA_MULTIVERSION
void segma_adam_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                       float clip, float beta1, float beta2, float step_size, float inverse_root_correction2,
                       float epsilon) {
  for (size_t i = 0; i < n; i++) {
    float gradient = g[i] * clip;
    float first = beta1 * m[i] + (1 - beta1) * gradient;
    float second = beta2 * v[i] + (1 - beta2) * gradient * gradient;
    m[i] = first;
    v[i] = second;
    // The elementwise builtin, unlike sqrtf, never sets errno, so the loop can vectorise.
    p[i] -= step_size * first / (__builtin_elementwise_sqrt(second) * inverse_root_correction2 + epsilon);
  }
}

SEGMA_MULTIVERSION
void segma_relu_forward(const float *x, float *y, size_t n) {
  // NaN stays NaN, so a diverging run shows in its loss.
  for (size_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
}

SEGMA_MULTIVERSION
void segma_relu_backward(const float *dy, const float *y, float *dx, size_t n) {
  for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}
