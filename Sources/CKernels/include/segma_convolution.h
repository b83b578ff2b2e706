#ifndef SEGMA_CONVOLUTION_H
#define SEGMA_CONVOLUTION_H

#include <stddef.h>

/// The passes around a 4x4, stride 2, padding 1 convolution's SGEMM, in C so that they
/// are vectorised (Swift left their stride-2 gathers and scatters scalar: a third of a
/// conv training step). im2col's short row copies are written out with SSE2/AVX2, as
/// clang left those scalar too.
///
/// Legend: C channels, H/W the image side, Ho = H/2, Wo = W/2. `cols` is (C*16, Ho*Wo):
/// row r = c*16 + ky*4 + kx, column j = oy*Wo + ox holds image[c, 2*oy - 1 + ky, 2*ox - 1 + kx],
/// 0 where that falls in the padding. Rows are `row_stride` floats apart, so the
/// columns of several images can sit side by side in one matrix.

/// Overwrites cols from image (C, H, W).
void segma_im2col_4x4s2(const float *image, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width, float *cols,
                        ptrdiff_t row_stride);

/// The adjoint of im2col, plus a bias: overwrites image (C, H, W) with
/// bias[c] (0 if bias is NULL) + the sum of the column entries that im2col would take
/// from each pixel. Each pixel is written once, so the image needs no clearing first.
void segma_col2im_4x4s2(const float *cols, ptrdiff_t row_stride, ptrdiff_t channels, ptrdiff_t height,
                        ptrdiff_t width, const float *bias, float *image);

/// Copies `images` images of `channels` planes of `plane` floats, image-major
/// (n, C, P) at `source`, into channel-major (C, n*P) at `target`, or back when
/// `to_channel_major` is 0. A loop rather than a memmove per plane: planes are as
/// small as 4 floats, where the call costs more than the copy.
void segma_transpose_planes(const float *source, float *target, ptrdiff_t images, ptrdiff_t channels,
                            ptrdiff_t plane, int to_channel_major);

/// sums[r] += the sum of rows[r * row_stride + 0 ..< length], for r in 0 ..< count.
void segma_add_row_sums(const float *rows, ptrdiff_t count, ptrdiff_t length, ptrdiff_t row_stride, float *sums);

#endif
