#ifndef SVHN_IMAGE_H
#define SVHN_IMAGE_H

// Images for svhn-predict: PNG reading and conversion to a model's input
// shape.

#include <stdint.h>

#include "svhn/error.h"
#include "svhn/shape.h"

// Largest PNG width or height, and largest width * height (16 megapixels),
// that image_read_png accepts, so a corrupt or hostile header cannot request
// gigabytes: an accepted image needs at most 2 x 3 x 16 MiB = 96 MiB.
#define IMAGE_MAX_SIDE 8192
#define IMAGE_MAX_PIXELS (1u << 24)

// Deflate cannot compress more than about 1032:1 (a 258-byte match costs at
// least 2 bits); zlib -9 reaches 1029:1 on 200 MiB of zeros. A PNG whose
// declared pixel data is larger than this many times the file is rejected
// before its buffers are allocated.
#define IMAGE_MAX_DEFLATE_RATIO 1032u

// 8-bit pixels stored planar like a dataset example: (channels, height, width).
typedef struct {
    uint8_t *pixels;
    Shape shape;  // channels is 1 (gray) or 3 (RGB)
} Image;

// Reads a PNG of any colour type and bit depth: palettes become RGB, gray
// below 8 bits is expanded, 16-bit samples keep their high byte, and an
// alpha channel (or palette transparency) is dropped without compositing.
// Rejects, before allocating, an image over IMAGE_MAX_SIDE or
// IMAGE_MAX_PIXELS, or whose declared pixel data the file is too small to
// contain. Returns 0, or -1 with a message naming the file and the problem.
int image_read_png(const char *path, Image *image, Error *error);

void image_free(Image *image);

// Converts src to dst_shape. Channels first: RGB to gray by the ITU-R BT.601
// luma weights 0.299 R + 0.587 G + 0.114 B on the stored values, gray to
// RGB by copying the plane. Then each plane is resized by area averaging:
// every output pixel is the mean of the source area it covers, weighted by
// overlap, which for enlarging means nearest neighbour blended at pixel
// edges. Values are rounded to the nearest integer. Returns 0, or -1 when a
// channel count is not 1 or 3 or out of memory.
int image_convert(const uint8_t *src, Shape src_shape, uint8_t *dst, Shape dst_shape,
                  Error *error);

#endif
