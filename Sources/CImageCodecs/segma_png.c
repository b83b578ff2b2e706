/* PNG decode and encode through libpng. See include/segma_codecs.h for the contract. */
#include "segma_codecs.h"

#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const uint8_t *data;
  size_t size;
  size_t offset;
} memory_source;

static void on_png_error(png_structp png, png_const_charp message) {
  segma_error *err = png_get_error_ptr(png);
  snprintf(err->message, sizeof err->message, "%s", message);
  longjmp(png_jmpbuf(png), 1); /* must not return: libpng would abort */
}

/* libpng's default prints warnings to stderr; a library must stay quiet. */
static void on_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
  memory_source *source = png_get_io_ptr(png);
  if (length > source->size - source->offset) png_error(png, "truncated file");
  memcpy(out, source->data + source->offset, length);
  source->offset += length;
}

/* Gives every PNG the same decoded shape: 8 or 16-bit gray, gray+alpha, RGB or RGBA,
 * the shape decoded_shape predicts. Allocates a row buffer as wide as the header says:
 * only for images the caller has size-checked. */
static int configure_transforms(png_structp png, png_infop info) {
  int color = png_get_color_type(png, info);
  int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (depth == 16) png_set_swap(png); /* PNG stores big-endian; Swift reads host order */
#endif
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return passes;
}

/* What configure_transforms will make of this header, without png_read_update_info:
 * that one allocates a row buffer as wide as the header claims (gigabytes for a forged
 * width), before the caller's --max-pixels check. read_pixels checks that they agree. */
static void decoded_shape(png_structp png, png_infop info, int *channels, int *bits) {
  int alpha = png_get_valid(png, info, PNG_INFO_tRNS) ? 1 : 0; /* tRNS becomes alpha */
  switch (png_get_color_type(png, info)) {
  case PNG_COLOR_TYPE_GRAY: *channels = 1 + alpha; break;
  case PNG_COLOR_TYPE_GRAY_ALPHA: *channels = 2; break;
  case PNG_COLOR_TYPE_RGB:
  case PNG_COLOR_TYPE_PALETTE: *channels = 3 + alpha; break;
  default: *channels = 4; break;
  }
  *bits = png_get_bit_depth(png, info) == 16 ? 16 : 8;
}

static png_structp create_reader(segma_error *err, png_infop *info) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning);
  if (!png) return NULL;
  *info = png_create_info_struct(png);
  if (!*info) {
    png_destroy_read_struct(&png, NULL, NULL);
    return NULL;
  }
  /* Our own --max-pixels check decides, after the header and before allocation. */
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  /* fuzz/run only: a mutated chunk keeps its old CRC, and checking it would stop
   * almost every input at the first chunk, before any pixel code runs. */
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#endif
  return png;
}

int segma_png_read_header(const uint8_t *data, size_t size, segma_image_info *out, segma_error *err) {
  memory_source source = {data, size, 0};
  png_infop info = NULL;
  png_structp png = create_reader(err, &info);
  if (!png) {
    snprintf(err->message, sizeof err->message, "out of memory");
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return -1;
  }
  png_set_read_fn(png, &source, read_from_memory);
  png_read_info(png, info);
  memset(out, 0, sizeof *out);
  out->source_bit_depth = png_get_bit_depth(png, info);
  out->source_color = png_get_color_type(png, info);
  out->is_interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  decoded_shape(png, info, &out->channels, &out->bits_per_sample);
  png_destroy_read_struct(&png, &info, NULL);
  return 0;
}

int segma_png_read_pixels(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity, segma_error *err) {
  memory_source source = {data, size, 0};
  png_infop info = NULL;
  png_structp png = create_reader(err, &info);
  if (!png) {
    snprintf(err->message, sizeof err->message, "out of memory");
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return -1;
  }
  png_set_read_fn(png, &source, read_from_memory);
  png_read_info(png, info);
  int passes = configure_transforms(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  size_t height = png_get_image_height(png, info);
  /* The caller sized pixels by read_header: anything else would leave it partly unwritten. */
  if (height == 0 || capacity % height != 0 || row_bytes != capacity / height)
    png_error(png, "decoded size differs from the header");
  /* Row by row, pass by pass: libpng merges Adam7 passes into the rows in place. */
  for (int pass = 0; pass < passes; pass++)
    for (size_t y = 0; y < height; y++) png_read_row(png, pixels + y * row_bytes, NULL);
  png_read_end(png, NULL); /* checks the CRCs and IEND after the image data */
  png_destroy_read_struct(&png, &info, NULL);
  return 0;
}

void segma_buffer_free(segma_buffer *buffer) {
  free(buffer->data);
  buffer->data = NULL;
  buffer->size = 0;
  buffer->capacity = 0;
}

static void write_to_buffer(png_structp png, png_bytep bytes, size_t length) {
  segma_buffer *out = png_get_io_ptr(png);
  if (length > out->capacity - out->size) {
    size_t needed = out->size + length;
    size_t capacity = out->capacity ? out->capacity : 4096;
    while (capacity < needed) capacity *= 2;
    uint8_t *grown = realloc(out->data, capacity);
    if (!grown) png_error(png, "out of memory");
    out->data = grown;
    out->capacity = capacity;
  }
  memcpy(out->data + out->size, bytes, length);
  out->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

int segma_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                     segma_buffer *out, segma_error *err) {
  static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                    PNG_COLOR_TYPE_RGB_ALPHA};
  memset(out, 0, sizeof *out);
  if (channels < 1 || channels > 4 || width == 0 || height == 0) {
    snprintf(err->message, sizeof err->message, "cannot encode %ux%u with %d channels", width, height, channels);
    return -1;
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, err, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    segma_buffer_free(out);
    if (!info) snprintf(err->message, sizeof err->message, "out of memory");
    return -1;
  }
  png_set_write_fn(png, out, write_to_buffer, flush_nothing);
  /* Filtered rows of model outputs are mostly runs: zlib's run-length strategy finds
     them without the default's hash-chain search, in 40-70% of the time, for files
     3-6% larger (decoder frames at 28x28 and upscaled to 256x256). */
  png_set_compression_strategy(png, Z_RLE);
  png_set_IHDR(png, info, width, height, 8, color_types[channels - 1], PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t row_bytes = (size_t)width * (size_t)channels;
  for (uint32_t y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * row_bytes);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return 0;
}
