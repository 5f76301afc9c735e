// libFuzzer harness for the idx reader (plain and gzip). The input is
//   byte 0      flags: bit 0 gzips the image file, bit 1 the label file
//   bytes 1..2  little-endian length of the image file's bytes
//   the image file's bytes, then the label file's bytes (the rest).
// Without a flag the bytes are written as they are, so a corpus entry may
// also contain its own (possibly corrupt) gzip stream, which gzread detects.

#include "fuzz_input_file.h"

#include <string.h>
#include <zlib.h>

#include "svhn/dataset.h"

// Writes `size` bytes to `file`, gzip-compressed when `compress` is set.
static void write_part(FuzzInputFile *file, const uint8_t *data, size_t size, int compress)
{
    if (!compress) {
        fuzz_input_file_write(file, data, size);
        return;
    }
    uLongf bound = compressBound((uLong)size) + 32;
    uint8_t *gzip = malloc(bound);
    if (gzip == NULL) {
        abort();
    }
    // windowBits 15 + 16 makes deflate write a gzip header and trailer.
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        abort();
    }
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    stream.next_out = gzip;
    stream.avail_out = (uInt)bound;
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
        abort();
    }
    size_t written = bound - stream.avail_out;
    deflateEnd(&stream);
    fuzz_input_file_write(file, gzip, written);
    free(gzip);
}

// Keeps the pixel sum alive, so the loop that reads every pixel is not
// optimised away.
volatile unsigned fuzz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzInputFile images = {.fd = -1}, labels = {.fd = -1};
    if (images.fd < 0) {
        fuzz_input_file_open(&images, "fuzz-images.idx");
        fuzz_input_file_open(&labels, "fuzz-labels.idx");
    }
    if (size < 3) {
        return 0;
    }
    const int flags = data[0];
    size_t images_size = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (images_size > size) {
        images_size = size;
    }
    write_part(&images, data, images_size, flags & 1);
    write_part(&labels, data + images_size, size - images_size, flags & 2);

    Dataset dataset;
    Error error = {{0}};
    if (dataset_load_idx(&dataset, images.path, labels.path, &error) == 0) {
        size_t image_size = shape_size(dataset.shape);
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t)dataset.count * image_size; i++) {
            sum += dataset.images[i];
        }
        for (int i = 0; i < dataset.count; i++) {
            if (dataset.labels[i] >= DATASET_CLASSES) {
                abort();
            }
        }
        fuzz_sink = sum;
        dataset_free(&dataset);
    }
    return 0;
}
