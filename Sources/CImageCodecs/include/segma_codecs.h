/* segma's C shim over libpng and libjpeg. No stable API: used only by ImageCodecs.
 *
 * Both libraries report fatal errors through a callback that must not return,
 * so every entry point here sets its own setjmp, does one whole job (read a
 * header, read pixels into the caller's buffer, encode to memory) and returns
 * 0 on success or -1 with a message in *err. A longjmp never crosses a Swift frame.
 */
#ifndef SEGMA_CODECS_H
#define SEGMA_CODECS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  char message[200];
} segma_error;

/* What a header says, and the layout read_pixels will produce. */
typedef struct {
  uint32_t width;
  uint32_t height;
  int channels;          /* decoded: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (JPEG CMYK: 4 raw CMYK) */
  int bits_per_sample;   /* decoded: 8 or 16 (host byte order) */
  int source_bit_depth;  /* as stored: 1, 2, 4, 8 or 16 */
  int source_color;      /* PNG color type, or JPEG J_COLOR_SPACE of the file */
  int is_interlaced;     /* PNG Adam7 or progressive JPEG */
  int is_inverted_cmyk;  /* JPEG: Adobe marker present, CMYK stored inverted */
} segma_image_info;

int segma_png_read_header(const uint8_t *data, size_t size, segma_image_info *info, segma_error *err);
/* Decodes into pixels (height * width * channels * bits/8 bytes, row-major, interleaved). */
int segma_png_read_pixels(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity, segma_error *err);

int segma_jpeg_read_header(const uint8_t *data, size_t size, segma_image_info *info, segma_error *err);
int segma_jpeg_read_pixels(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity, segma_error *err);

/* Encoded bytes, allocated with malloc; release with segma_buffer_free. */
typedef struct {
  uint8_t *data;
  size_t size;
  size_t capacity;
} segma_buffer;

void segma_buffer_free(segma_buffer *buffer);

/* 8-bit interleaved pixels with 1 to 4 channels; libpng's adaptive row filters, zlib's Z_RLE. */
int segma_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                     segma_buffer *out, segma_error *err);
/* 8-bit gray (1 channel) or RGB (3 channels); quality 1-100. */
int segma_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                      int quality, segma_buffer *out, segma_error *err);

#endif
