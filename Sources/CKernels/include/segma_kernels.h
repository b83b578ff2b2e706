#ifndef SEGMA_KERNELS_H
#define SEGMA_KERNELS_H

#include <stddef.h>

/// Passes over all 3.7M parameters and over activations, written in C so that clang
/// vectorises them (and builds an AVX2+FMA variant picked at run time): Swift left these
/// loops scalar, and the square root and division per parameter cost more than the
/// step's memory traffic.

/// Sum of g[i]^2 over n floats: Float sums over runs of 1024, added in double.
double segma_sum_of_squares(const float *g, size_t n);

/// One Adam step over n parameters with the gradient scaled by `clip` (see Adam.swift):
///   m = b1*m + (1-b1)*clip*g;  v = b2*v + (1-b2)*(clip*g)^2;
///   p -= step_size * m / (sqrt(v) * inverse_root_correction2 + eps)
void segma_adam_update(float *p, const float *g, float *m, float *v, size_t n, float clip, float beta1,
                       float beta2, float step_size, float inverse_root_correction2, float epsilon);

/// y[i] = max(x[i], 0); x and y may be the same buffer.
void segma_relu_forward(const float *x, float *y, size_t n);

/// dx[i] = y[i] > 0 ? dy[i] : 0, with y the forward output; dx may be dy's buffer.
void segma_relu_backward(const float *dy, const float *y, float *dx, size_t n);

#endif
