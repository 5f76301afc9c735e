#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>

#include "image.h"

// What libpng's error callback records before it jumps back.
typedef struct {
    char message[256];
} PngFailure;

static void record_png_error(png_structp png, png_const_charp message)
{
    PngFailure *failure = png_get_error_ptr(png);
    snprintf(failure->message, sizeof failure->message, "%s", message);
    png_longjmp(png, 1);
}

// Warnings (such as an unknown ancillary chunk) do not stop decoding and are
// not reported.
static void ignore_png_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

// Asks libpng for 8-bit gray or RGB rows whatever the file stores.
static void request_8bit_gray_or_rgb(png_structp png, png_infop info)
{
    const int color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

// Row buffers of one decode. They live on the heap, not in image_read_png's
// frame, so they stay valid when a libpng error longjmps out of decode.
typedef struct {
    uint8_t *interleaved;  // (height, row bytes) as libpng delivers them
    png_bytep *rows;       // (height) pointers into interleaved
} DecodeBuffers;

// Checks the size that the header declares against IMAGE_MAX_PIXELS and
// against what a file of file_size bytes can contain. Returns 0 or -1.
static int check_declared_size(png_structp png, png_infop info, long long file_size,
                               const char *path, Error *error)
{
    const png_uint_32 width = png_get_image_width(png, info);
    const png_uint_32 height = png_get_image_height(png, info);
    const uint64_t pixels = (uint64_t)width * height;
    if (pixels > IMAGE_MAX_PIXELS) {
        error_set(error, "%s: PNG of %ux%u pixels is too large: at most %u pixels "
                  "(width x height) are accepted", path, width, height, IMAGE_MAX_PIXELS);
        return -1;
    }

    // The image data before filtering is at least width * height * channels
    // * bit depth / 8 bytes, and deflate cannot shrink it further than
    // IMAGE_MAX_DEFLATE_RATIO to one.
    const uint64_t data_bytes =
        pixels * png_get_channels(png, info) * png_get_bit_depth(png, info) / 8;
    if (data_bytes > (uint64_t)file_size * IMAGE_MAX_DEFLATE_RATIO) {
        error_set(error, "%s: PNG header declares %ux%u pixels (%llu bytes of image data) "
                  "but the %lld-byte file cannot contain that much even at deflate's "
                  "maximum ratio of %u:1; the file is truncated or corrupt", path, width,
                  height, (unsigned long long)data_bytes, file_size, IMAGE_MAX_DEFLATE_RATIO);
        return -1;
    }
    return 0;
}

// Decodes the PNG behind png into image. Called after setjmp; libpng errors
// jump out of it. The caller frees the buffers.
static int decode(png_structp png, png_infop info, Image *image, DecodeBuffers *buffers,
                  long long file_size, const char *path, Error *error)
{
    png_read_info(png, info);
    const png_uint_32 width = png_get_image_width(png, info);
    const png_uint_32 height = png_get_image_height(png, info);
    if (check_declared_size(png, info, file_size, path, error) != 0) {
        return -1;
    }
    request_8bit_gray_or_rgb(png, info);
    const int channels = png_get_channels(png, info);
    if (channels != 1 && channels != 3) {
        error_set(error, "%s: unsupported PNG layout with %d channels after conversion",
                  path, channels);
        return -1;
    }

    const size_t row_bytes = png_get_rowbytes(png, info);
    buffers->interleaved = malloc(row_bytes * height);
    buffers->rows = malloc(height * sizeof(png_bytep));
    image->pixels = malloc((size_t)channels * width * height);
    if (buffers->interleaved == NULL || buffers->rows == NULL || image->pixels == NULL) {
        error_set(error, "%s: out of memory for a %ux%u image", path, width, height);
        return -1;
    }
    const uint8_t *interleaved = buffers->interleaved;
    for (png_uint_32 y = 0; y < height; y++) {
        buffers->rows[y] = buffers->interleaved + y * row_bytes;
    }
    png_read_image(png, buffers->rows);
    png_read_end(png, NULL);

    // Interleaved RGBRGB... rows become one plane per channel.
    image->shape = (Shape){channels, (int)height, (int)width};
    const size_t plane = (size_t)width * height;
    for (png_uint_32 y = 0; y < height; y++) {
        for (png_uint_32 x = 0; x < width; x++) {
            for (int c = 0; c < channels; c++) {
                image->pixels[c * plane + (size_t)y * width + x] =
                    interleaved[y * row_bytes + (size_t)x * channels + c];
            }
        }
    }
    return 0;
}

int image_read_png(const char *path, Image *image, Error *error)
{
    *image = (Image){0};
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        error_set(error, "%s: cannot open the image: %s", path, strerror(errno));
        return -1;
    }
    struct stat file_info;
    if (fstat(fileno(file), &file_info) != 0) {
        error_set(error, "%s: cannot read the file size: %s", path, strerror(errno));
        fclose(file);
        return -1;
    }
    if (!S_ISREG(file_info.st_mode)) {
        error_set(error, "%s: not a regular file (it is %s); give a PNG file or FILE.mat:N",
                  path, S_ISDIR(file_info.st_mode) ? "a directory" : "a special file");
        fclose(file);
        return -1;
    }
    const long long file_size = (long long)file_info.st_size;

    unsigned char signature[8];
    if (fread(signature, 1, sizeof signature, file) != sizeof signature ||
        png_sig_cmp(signature, 0, sizeof signature) != 0) {
        error_set(error, "%s: not a PNG file (the first 8 bytes are not the PNG "
                  "signature); only PNG images and SVHN .mat entries are supported", path);
        fclose(file);
        return -1;
    }

    PngFailure failure = {{0}};
    DecodeBuffers *buffers = calloc(1, sizeof *buffers);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure,
                                             record_png_error, ignore_png_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (info == NULL || buffers == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        free(buffers);
        fclose(file);
        error_set(error, "%s: out of memory for the PNG decoder", path);
        return -1;
    }

    // volatile: status is assigned between setjmp and a possible longjmp.
    volatile int status = -1;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, file);
        png_set_sig_bytes(png, sizeof signature);
        png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
        status = decode(png, info, image, buffers, file_size, path, error);
    } else if (feof(file)) {
        // libpng 1.6 reports a short read only as "Read Error" (png_default_read_data).
        error_set(error, "%s: PNG file truncated or corrupt: the file ends after %lld bytes, "
                  "before the image data is complete", path, file_size);
    } else {
        error_set(error, "%s: invalid or unsupported PNG: %s", path, failure.message);
    }
    free(buffers->interleaved);
    free(buffers->rows);
    free(buffers);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    if (status != 0) {
        image_free(image);
    }
    return status;
}

void image_free(Image *image)
{
    free(image->pixels);
    *image = (Image){0};
}
