// Loader for the idx files of MNIST and Fashion-MNIST. An idx file starts
// with a big-endian magic number 0x0000TTDD (TT = element type, 0x08 for
// unsigned byte, DD = number of dimensions), then DD big-endian uint32
// sizes, then the elements in row-major order. zlib's gzread reads both
// gzip-compressed and plain files, so one code path serves both.

#include "svhn/dataset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#define IDX_TYPE_UNSIGNED_BYTE 0x08

// Upper limits that reject a corrupt header before a huge allocation. They
// are far above any idx set in use (MNIST has 70,000 images of 28x28).
#define IDX_MAX_COUNT 10000000u
#define IDX_MAX_IMAGE_PIXELS (1u << 20)

// gzread takes an unsigned int length, so large reads go in pieces.
#define IDX_READ_CHUNK (1u << 30)

// Deflate cannot compress more than about 1032:1, so a gzip file cannot
// contain more than this many times its own size of data.
#define IDX_MAX_GZIP_RATIO 1032u

static uint32_t read_big_endian_u32(const uint8_t bytes[4])
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16
           | (uint32_t)bytes[2] << 8 | (uint32_t)bytes[3];
}

// Reads `size` bytes. Returns the number read, which is smaller than `size`
// only at the end of the file, or -1 when zlib reports an error (corrupt
// gzip data), with the zlib message in `zlib_message`.
static long long read_bytes(gzFile file, uint8_t *buffer, size_t size,
                            const char **zlib_message)
{
    size_t done = 0;
    while (done < size) {
        size_t remaining = size - done;
        unsigned int chunk = remaining > IDX_READ_CHUNK ? IDX_READ_CHUNK : (unsigned int)remaining;
        int read = gzread(file, buffer + done, chunk);
        if (read < 0) {
            int code = 0;
            *zlib_message = gzerror(file, &code);
            return -1;
        }
        if (read == 0) {
            break;
        }
        done += (size_t)read;
    }
    return (long long)done;
}

static int read_exact(gzFile file, uint8_t *buffer, size_t size, const char *path,
                      const char *field, Error *error)
{
    const char *zlib_message = NULL;
    long long read = read_bytes(file, buffer, size, &zlib_message);
    if (read < 0) {
        error_set(error, "%s: reading the %s failed: %s (corrupt gzip data)",
                  path, field, zlib_message);
        return -1;
    }
    if ((size_t)read < size) {
        error_set(error, "%s: file truncated in the %s: expected %zu bytes, found %lld",
                  path, field, size, read);
        return -1;
    }
    return 0;
}

// Opens an idx file with zlib and sets *file_size to its size on disk.
static gzFile open_idx(const char *path, long long *file_size, Error *error)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        error_set(error, "%s: cannot open idx file: %s", path, strerror(errno));
        return NULL;
    }
    *file_size = (long long)info.st_size;

    errno = 0;
    gzFile file = gzopen(path, "rb");
    if (file == NULL) {
        error_set(error, "%s: cannot open idx file: %s", path,
                  errno != 0 ? strerror(errno) : "zlib could not allocate its state");
        return NULL;
    }
    gzbuffer(file, 1u << 17);
    return file;
}

// Checks, before allocating, that a file of file_size bytes can contain the
// `bytes` bytes of data that its header declares: all of them for a plain
// file, at most IDX_MAX_GZIP_RATIO times its size for a gzip file. The
// header has been read, so gzdirect returns which kind the file is.
static int check_declared_bytes(gzFile file, long long file_size, uint64_t header_bytes,
                                uint64_t bytes, const char *path, const char *what,
                                Error *error)
{
    const int plain = gzdirect(file);
    const uint64_t capacity = plain ? (uint64_t)file_size - header_bytes
                                    : (uint64_t)file_size * IDX_MAX_GZIP_RATIO;
    if (bytes > capacity) {
        error_set(error, "%s: file truncated or corrupt: the header declares %llu bytes of "
                  "%s but the %s file of %lld bytes can contain at most %llu", path,
                  (unsigned long long)bytes, what, plain ? "uncompressed" : "gzip",
                  file_size, (unsigned long long)capacity);
        return -1;
    }
    return 0;
}

// Reads the magic number and the `rank` dimension sizes, checking that the
// elements are unsigned bytes in `rank` dimensions.
static int read_header(gzFile file, const char *path, int rank, uint32_t *dims, Error *error)
{
    uint8_t bytes[4];
    if (read_exact(file, bytes, 4, path, "magic number", error) != 0) {
        return -1;
    }

    uint32_t magic = read_big_endian_u32(bytes);
    uint32_t expected = (uint32_t)IDX_TYPE_UNSIGNED_BYTE << 8 | (uint32_t)rank;
    if (bytes[0] != 0 || bytes[1] != 0) {
        error_set(error, "%s: invalid magic number 0x%08x, expected 0x%08x "
                  "(not an idx file)", path, magic, expected);
        return -1;
    }
    if (bytes[2] != IDX_TYPE_UNSIGNED_BYTE) {
        error_set(error, "%s: invalid magic number 0x%08x: element type 0x%02x, "
                  "expected 0x08 (unsigned byte)", path, magic, bytes[2]);
        return -1;
    }
    if (bytes[3] != rank) {
        error_set(error, "%s: invalid magic number 0x%08x: %d dimensions, expected %d",
                  path, magic, bytes[3], rank);
        return -1;
    }

    for (int d = 0; d < rank; d++) {
        if (read_exact(file, bytes, 4, path, "dimension sizes", error) != 0) {
            return -1;
        }
        dims[d] = read_big_endian_u32(bytes);
    }
    return 0;
}

static int load_images(Dataset *dataset, const char *path, Error *error)
{
    long long file_size;
    gzFile file = open_idx(path, &file_size, error);
    if (file == NULL) {
        return -1;
    }

    uint32_t dims[3];
    if (read_header(file, path, 3, dims, error) != 0) {
        gzclose(file);
        return -1;
    }

    uint32_t count = dims[0], rows = dims[1], cols = dims[2];
    if (count == 0 || count > IDX_MAX_COUNT) {
        error_set(error, "%s: invalid image count %u, expected 1..%u", path, count, IDX_MAX_COUNT);
        gzclose(file);
        return -1;
    }
    if (rows == 0 || cols == 0 || (uint64_t)rows * cols > IDX_MAX_IMAGE_PIXELS) {
        error_set(error, "%s: invalid image size %ux%u, expected rows and cols "
                  "positive with rows * cols <= %u", path, rows, cols, IDX_MAX_IMAGE_PIXELS);
        gzclose(file);
        return -1;
    }

    size_t total = (size_t)count * rows * cols;
    if (check_declared_bytes(file, file_size, 16, total, path, "pixels", error) != 0) {
        gzclose(file);
        return -1;
    }
    uint8_t *pixels = malloc(total);
    if (pixels == NULL) {
        error_set(error, "%s: out of memory for %zu bytes of pixels", path, total);
        gzclose(file);
        return -1;
    }
    if (read_exact(file, pixels, total, path, "pixel data", error) != 0) {
        free(pixels);
        gzclose(file);
        return -1;
    }
    gzclose(file);

    dataset->images = pixels;
    dataset->count = (int)count;
    dataset->shape = (Shape){.channels = 1, .height = (int)rows, .width = (int)cols};
    return 0;
}

static int load_labels(Dataset *dataset, const char *path, const char *images_path,
                       Error *error)
{
    long long file_size;
    gzFile file = open_idx(path, &file_size, error);
    if (file == NULL) {
        return -1;
    }

    uint32_t count;
    if (read_header(file, path, 1, &count, error) != 0) {
        gzclose(file);
        return -1;
    }
    if (count != (uint32_t)dataset->count) {
        error_set(error, "%s: label count %u does not match the image count %d of %s",
                  path, count, dataset->count, images_path);
        gzclose(file);
        return -1;
    }

    if (check_declared_bytes(file, file_size, 8, count, path, "labels", error) != 0) {
        gzclose(file);
        return -1;
    }
    uint8_t *labels = malloc(count);
    if (labels == NULL) {
        error_set(error, "%s: out of memory for %u labels", path, count);
        gzclose(file);
        return -1;
    }
    if (read_exact(file, labels, count, path, "labels", error) != 0) {
        free(labels);
        gzclose(file);
        return -1;
    }
    gzclose(file);

    for (uint32_t i = 0; i < count; i++) {
        if (labels[i] >= DATASET_CLASSES) {
            error_set(error, "%s: invalid label %u at index %u, expected 0..%d",
                      path, labels[i], i, DATASET_CLASSES - 1);
            free(labels);
            return -1;
        }
    }

    dataset->labels = labels;
    return 0;
}

int dataset_load_idx(Dataset *dataset, const char *images_path,
                     const char *labels_path, Error *error)
{
    memset(dataset, 0, sizeof *dataset);

    if (load_images(dataset, images_path, error) != 0
        || load_labels(dataset, labels_path, images_path, error) != 0) {
        dataset_free(dataset);
        return -1;
    }
    return 0;
}
