#include <math.h>
#include <stdlib.h>

#include "image.h"

// BT.601 luma weights, applied to the stored (gamma-encoded) values.
static const float luma_weights[3] = {0.299f, 0.587f, 0.114f};

// Fills dst (dst_channels planes of plane floats) from src by the channel
// rule of image_convert.
static void convert_channels(const uint8_t *src, int src_channels, float *dst,
                             int dst_channels, size_t plane)
{
    for (size_t i = 0; i < plane; i++) {
        if (src_channels == dst_channels) {
            for (int c = 0; c < dst_channels; c++) {
                dst[c * plane + i] = src[c * plane + i];
            }
        } else if (src_channels == 3) {
            dst[i] = luma_weights[0] * src[i] + luma_weights[1] * src[plane + i] +
                     luma_weights[2] * src[2 * plane + i];
        } else {
            for (int c = 0; c < dst_channels; c++) {
                dst[c * plane + i] = src[i];
            }
        }
    }
}

// Mean over the source interval [o * scale, (o + 1) * scale) of one row or
// column, each source pixel weighted by its overlap with the interval.
// `stride` steps between neighbouring source pixels.
static float area_mean(const float *src, int src_length, size_t stride, int o, double scale)
{
    const double begin = o * scale;
    const double end = (o + 1) * scale;
    int first = (int)floor(begin);
    int last = (int)ceil(end) - 1;
    if (last >= src_length) {
        last = src_length - 1;
    }
    double sum = 0.0;
    double weight_sum = 0.0;
    for (int i = first; i <= last; i++) {
        double overlap = fmin(end, i + 1.0) - fmax(begin, (double)i);
        if (overlap > 0.0) {
            sum += overlap * src[(size_t)i * stride];
            weight_sum += overlap;
        }
    }
    return weight_sum > 0.0 ? (float)(sum / weight_sum) : src[(size_t)first * stride];
}

// Resizes one plane, first along rows then along columns (area averaging is
// separable).
static void resize_plane(const float *src, int src_h, int src_w, float *temp, float *dst,
                         int dst_h, int dst_w)
{
    const double scale_x = (double)src_w / dst_w;
    const double scale_y = (double)src_h / dst_h;
    for (int y = 0; y < src_h; y++) {
        for (int x = 0; x < dst_w; x++) {
            temp[(size_t)y * dst_w + x] = area_mean(src + (size_t)y * src_w, src_w, 1, x, scale_x);
        }
    }
    for (int y = 0; y < dst_h; y++) {
        for (int x = 0; x < dst_w; x++) {
            dst[(size_t)y * dst_w + x] = area_mean(temp + x, src_h, (size_t)dst_w, y, scale_y);
        }
    }
}

int image_convert(const uint8_t *src, Shape src_shape, uint8_t *dst, Shape dst_shape,
                  Error *error)
{
    const int in_c = src_shape.channels;
    const int out_c = dst_shape.channels;
    if ((in_c != 1 && in_c != 3) || (out_c != 1 && out_c != 3)) {
        error_set(error, "cannot convert %d channels to %d; only gray (1) and RGB (3) are "
                  "supported", in_c, out_c);
        return -1;
    }
    const size_t src_plane = (size_t)src_shape.height * src_shape.width;
    const size_t dst_plane = (size_t)dst_shape.height * dst_shape.width;
    float *channels = malloc((size_t)out_c * src_plane * sizeof(float));
    float *temp = malloc((size_t)src_shape.height * dst_shape.width * sizeof(float));
    float *resized = malloc(dst_plane * sizeof(float));
    if (channels == NULL || temp == NULL || resized == NULL) {
        free(channels);
        free(temp);
        free(resized);
        error_set(error, "out of memory converting a %dx%d image", src_shape.height,
                  src_shape.width);
        return -1;
    }

    convert_channels(src, in_c, channels, out_c, src_plane);
    for (int c = 0; c < out_c; c++) {
        resize_plane(channels + c * src_plane, src_shape.height, src_shape.width, temp,
                     resized, dst_shape.height, dst_shape.width);
        for (size_t i = 0; i < dst_plane; i++) {
            float value = roundf(resized[i]);
            dst[c * dst_plane + i] = (uint8_t)(value < 0.0f ? 0.0f : value > 255.0f ? 255.0f : value);
        }
    }
    free(channels);
    free(temp);
    free(resized);
    return 0;
}
