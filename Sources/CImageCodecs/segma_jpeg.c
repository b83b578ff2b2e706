/* JPEG decode and encode through libjpeg(-turbo). See include/segma_codecs.h for the contract. */
#include "segma_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* A progressive file can hold thousands of tiny scans that each cost a full pass
 * over the coefficients; real encoders write about ten. */
enum { max_scans = 1000 };

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  segma_error *err;
} error_manager;

static void on_jpeg_error(j_common_ptr cinfo) {
  error_manager *manager = (error_manager *)cinfo->err;
  char text[JMSG_LENGTH_MAX];
  cinfo->err->format_message(cinfo, text);
  snprintf(manager->err->message, sizeof manager->err->message, "%s", text);
  longjmp(manager->jump, 1); /* must not return: libjpeg would exit() */
}

/* Warnings that mean the pixels would be partly invented (a truncated or corrupt
 * scan) are errors for us: no partial image. Harmless ones (extraneous bytes
 * between markers, a newer JFIF version) are ignored, as is all trace output. */
static void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  switch (cinfo->err->msg_code) {
  case JWRN_JPEG_EOF:
  case JWRN_HIT_MARKER:
  case JWRN_HUFF_BAD_CODE:
  case JWRN_MUST_RESYNC:
  case JWRN_NOT_SEQUENTIAL:
  case JWRN_BOGUS_PROGRESSION:
    on_jpeg_error(cinfo);
    break;
  default:
    break;
  }
}

static void limit_scans(j_common_ptr cinfo) {
  if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > max_scans) {
    error_manager *manager = (error_manager *)cinfo->err;
    snprintf(manager->err->message, sizeof manager->err->message, "more than %d scans", max_scans);
    longjmp(manager->jump, 1);
  }
}

static void install_errors(struct jpeg_decompress_struct *cinfo, error_manager *manager, segma_error *err) {
  cinfo->err = jpeg_std_error(&manager->base);
  manager->base.error_exit = on_jpeg_error;
  manager->base.emit_message = on_jpeg_message;
  manager->err = err;
}

/* Gray stays gray, CMYK/YCCK come out as raw CMYK (converted by the caller, who
 * knows about Adobe inversion), everything else as RGB. */
static int choose_output(struct jpeg_decompress_struct *cinfo) {
  switch (cinfo->jpeg_color_space) {
  case JCS_GRAYSCALE:
    cinfo->out_color_space = JCS_GRAYSCALE;
    return 1;
  case JCS_CMYK:
  case JCS_YCCK:
    cinfo->out_color_space = JCS_CMYK;
    return 4;
  default:
    cinfo->out_color_space = JCS_RGB;
    return 3;
  }
}

int segma_jpeg_read_header(const uint8_t *data, size_t size, segma_image_info *out, segma_error *err) {
  struct jpeg_decompress_struct cinfo;
  error_manager manager;
  install_errors(&cinfo, &manager, err);
  if (setjmp(manager.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);
  memset(out, 0, sizeof *out);
  out->width = cinfo.image_width;
  out->height = cinfo.image_height;
  out->channels = choose_output(&cinfo);
  out->bits_per_sample = 8;
  out->source_bit_depth = cinfo.data_precision;
  out->source_color = cinfo.jpeg_color_space;
  out->is_interlaced = cinfo.progressive_mode ? 1 : 0;
  out->is_inverted_cmyk = cinfo.saw_Adobe_marker ? 1 : 0;
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

int segma_jpeg_read_pixels(const uint8_t *data, size_t size, uint8_t *pixels, size_t capacity, segma_error *err) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_progress_mgr progress = {.progress_monitor = limit_scans};
  error_manager manager;
  install_errors(&cinfo, &manager, err);
  if (setjmp(manager.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);
  choose_output(&cinfo);
  jpeg_start_decompress(&cinfo);
  size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
  if (cinfo.output_height == 0 || row_bytes > capacity / cinfo.output_height) {
    snprintf(err->message, sizeof err->message, "pixel buffer too small");
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

/* A destination that grows the caller's segma_buffer. All its state lives in that
 * buffer, not in locals, so the error path after a longjmp frees exactly what exists. */
typedef struct {
  struct jpeg_destination_mgr base;
  segma_buffer *out;
} buffer_destination;

static void start_buffer(j_compress_ptr cinfo) {
  buffer_destination *dest = (buffer_destination *)cinfo->dest;
  segma_buffer *out = dest->out;
  if (out->capacity == 0) {
    out->data = malloc(16384);
    if (!out->data) ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
    out->capacity = 16384;
  }
  dest->base.next_output_byte = out->data;
  dest->base.free_in_buffer = out->capacity;
}

/* Called when the buffer is full: double it and carry on after what is written. */
static boolean grow_buffer(j_compress_ptr cinfo) {
  buffer_destination *dest = (buffer_destination *)cinfo->dest;
  segma_buffer *out = dest->out;
  out->size = out->capacity;
  uint8_t *grown = realloc(out->data, out->capacity * 2);
  if (!grown) ERREXIT(cinfo, JERR_OUT_OF_MEMORY);
  out->data = grown;
  out->capacity *= 2;
  dest->base.next_output_byte = out->data + out->size;
  dest->base.free_in_buffer = out->capacity - out->size;
  return TRUE;
}

static void finish_buffer(j_compress_ptr cinfo) {
  buffer_destination *dest = (buffer_destination *)cinfo->dest;
  dest->out->size = dest->out->capacity - dest->base.free_in_buffer;
}

int segma_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                      int quality, segma_buffer *out, segma_error *err) {
  memset(out, 0, sizeof *out);
  if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION ||
      height > JPEG_MAX_DIMENSION) {
    snprintf(err->message, sizeof err->message, "cannot encode %ux%u with %d channels as JPEG", width, height,
             channels);
    return -1;
  }
  struct jpeg_compress_struct cinfo;
  error_manager manager;
  buffer_destination destination = {
      .base = {.init_destination = start_buffer, .empty_output_buffer = grow_buffer, .term_destination = finish_buffer},
      .out = out};
  cinfo.err = jpeg_std_error(&manager.base);
  manager.base.error_exit = on_jpeg_error;
  manager.base.emit_message = on_jpeg_message;
  manager.err = err;
  if (setjmp(manager.jump)) {
    jpeg_destroy_compress(&cinfo);
    segma_buffer_free(out);
    return -1;
  }
  jpeg_create_compress(&cinfo);
  cinfo.dest = &destination.base;
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  size_t row_bytes = (size_t)width * (size_t)channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * row_bytes);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return 0;
}
