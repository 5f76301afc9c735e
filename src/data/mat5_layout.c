// MAT5 container walk. A MAT5 file starts with a 128-byte header. Its bytes
// 124..125 are the version 0x0100 and bytes 126..127 the endian mark "IM" in
// the writer's byte order. Data elements follow, each an 8-byte tag (uint32
// type, uint32 byte count) and its data padded to 8 bytes. Variables are
// miMATRIX (14) elements, or miCOMPRESSED (15) elements that contain a zlib
// stream of one miMATRIX element.

#define _POSIX_C_SOURCE 200809L

#include "mat5_layout.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#define MAT5_HEADER_SIZE 128
#define MAT5_VERSION 0x0100
#define MAT73_VERSION 0x0200
#define MI_MATRIX 14
#define MI_COMPRESSED 15

// Enough of a variable's start to reach its name: matrix tag (8), array
// flags (16), dims (8 + 8 per pair of dims) and the name (8 + up to 64).
// A variable whose header does not fit in this prefix (possible only with
// rank above 38) is rejected.
#define NAME_PREFIX_SIZE 256

typedef struct {
    FILE *file;
    int swap;  // the file's byte order differs from this machine's
} Mat5File;

static uint32_t to_host(const Mat5File *mat, uint32_t value)
{
    if (!mat->swap) {
        return value;
    }
    return (value >> 24) | ((value >> 8) & 0xff00u) | ((value << 8) & 0xff0000u)
           | (value << 24);
}

static uint32_t word_at(const Mat5File *mat, const uint8_t *bytes)
{
    uint32_t value;
    memcpy(&value, bytes, sizeof value);
    return to_host(mat, value);
}

// Reads one sub-element tag at `offset` of `bytes`, in either the normal
// 8-byte form or the small form (byte count in the upper 16 bits, data in
// the tag's last 4 bytes). Sets `data` and `size` and returns the offset of
// the next sub-element, or 0 when the tag does not fit in `length`.
static size_t read_subelement(const Mat5File *mat, const uint8_t *bytes, size_t length,
                              size_t offset, const uint8_t **data, uint32_t *size)
{
    if (offset + 8 > length) {
        return 0;
    }
    uint32_t first = word_at(mat, bytes + offset);
    if (first >> 16 != 0) {
        *size = first >> 16;
        *data = bytes + offset + 4;
        return *size <= 4 ? offset + 8 : 0;
    }

    *size = word_at(mat, bytes + offset + 4);
    *data = bytes + offset + 8;
    size_t padded = ((size_t)*size + 7) / 8 * 8;
    return offset + 8 + *size <= length ? offset + 8 + padded : 0;
}

// The start of an miMATRIX element: its MATLAB class and name.
typedef struct {
    int valid;       // array flags, dims and name were found and well formed
    int class_type;  // mxClass code: 4 char, 6..15 numeric, others containers
    uint64_t element_count;  // product of the dims
    char name[65];
} MatrixHeader;

// Parses the array flags, dims and name sub-elements at the start of an
// miMATRIX element's data (after its tag). They are valid when all three
// lie within `length`, the flags are 8 bytes, the dims a whole number of
// int32 values (at least two, none negative) and the name at most 64 bytes.
// matio allocates the dims and the name from these sizes, so they are
// checked before it reads them.
static MatrixHeader parse_matrix_header(const Mat5File *mat, const uint8_t *bytes,
                                        size_t length)
{
    MatrixHeader header = {0};
    const uint8_t *flags, *dims, *name;
    uint32_t flags_size, dims_size, name_size;

    size_t offset = read_subelement(mat, bytes, length, 0, &flags, &flags_size);
    if (offset != 0) {
        offset = read_subelement(mat, bytes, length, offset, &dims, &dims_size);
    }
    if (offset != 0) {
        offset = read_subelement(mat, bytes, length, offset, &name, &name_size);
    }
    if (offset == 0 || flags_size != 8 || dims_size < 8 || dims_size % 4 != 0
        || name_size > sizeof header.name - 1) {
        return header;
    }

    header.element_count = 1;
    for (uint32_t d = 0; d < dims_size / 4; d++) {
        const int32_t dim = (int32_t)word_at(mat, dims + 4 * d);
        if (dim < 0) {
            return header;
        }
        header.element_count = dim != 0 && header.element_count > UINT64_MAX / (uint32_t)dim
                                   ? UINT64_MAX
                                   : header.element_count * (uint32_t)dim;
    }
    header.valid = 1;
    header.class_type = (int)(word_at(mat, flags) & 0xffu);
    memcpy(header.name, name, name_size);
    header.name[name_size] = '\0';
    return header;
}

// Inflates the start of a compressed element and parses the header of the
// miMATRIX element inside it.
static MatrixHeader parse_compressed_header(const Mat5File *mat, const uint8_t *compressed,
                                            size_t length)
{
    MatrixHeader header = {0};
    uint8_t inflated[NAME_PREFIX_SIZE];
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) {
        return header;
    }

    stream.next_in = (Bytef *)compressed;
    stream.avail_in = (uInt)length;
    stream.next_out = inflated;
    stream.avail_out = sizeof inflated;
    inflate(&stream, Z_SYNC_FLUSH);
    size_t produced = sizeof inflated - stream.avail_out;
    inflateEnd(&stream);

    if (produced > 8 && word_at(mat, inflated) == MI_MATRIX) {
        header = parse_matrix_header(mat, inflated + 8, produced - 8);
    }
    return header;
}

// Whether matio reads a variable of this class without recursing into
// fields or cells: char (4) and the numeric classes double (6) to uint64
// (15). Cell, struct, object, sparse, function and opaque variables are
// rejected, because an SVHN file has none and matio would parse their
// contents, with their own declared sizes, while it looks for X and y.
static int is_plain_array_class(int class_type)
{
    return class_type == 4 || (class_type >= 6 && class_type <= 15);
}

// Inflates a whole compressed element from the current file position. The
// zlib stream must be complete and intact (inflate verifies the Adler-32
// checksum at the stream end), and it must contain exactly the one element
// its tag declares, of at most MAT5_MAX_ELEMENT_BYTES. Inflating
// stops as soon as the inner tag declares more than that limit or the
// output passes the declared size, so a small file cannot make it inflate
// more than the limit. This decompresses
// the data a second time (matio does it again when reading) because matio
// 1.5.23 returns corrupt compressed data without an error. Sets
// *element_bytes to the inner element's byte count.
static int verify_compressed(const Mat5File *mat, const char *path, const char *element,
                             uint32_t size, uint64_t *element_bytes, Error *error)
{
    static const size_t chunk = 1u << 16;
    uint8_t input[1u << 16];
    uint8_t output[1u << 16];
    uint8_t inner_tag[8];
    uint64_t produced = 0;
    uint64_t expected = 0;  // 8 + the inner tag's byte count, once the tag is read

    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) {
        error_set(error, "%s: %s: zlib could not start decompression", path, element);
        return -1;
    }

    int status = Z_OK;
    int too_large = 0;
    uint32_t remaining = size;
    while (status == Z_OK && remaining > 0 && !too_large) {
        size_t requested = remaining < chunk ? remaining : chunk;
        size_t got = fread(input, 1, requested, mat->file);
        if (got != requested) {
            break;
        }
        remaining -= (uint32_t)got;
        stream.next_in = input;
        stream.avail_in = (uInt)got;

        while (stream.avail_in > 0 && status == Z_OK) {
            stream.next_out = output;
            stream.avail_out = sizeof output;
            status = inflate(&stream, Z_NO_FLUSH);
            size_t written = sizeof output - stream.avail_out;
            if (produced < sizeof inner_tag) {
                size_t copied = written < sizeof inner_tag - produced ? written
                                                                       : sizeof inner_tag - produced;
                memcpy(inner_tag + produced, output, copied);
                if (produced + copied == sizeof inner_tag) {
                    expected = 8 + (uint64_t)word_at(mat, inner_tag + 4);
                }
            }
            produced += written;
            if (expected > 8 + (uint64_t)MAT5_MAX_ELEMENT_BYTES
                || (expected != 0 && produced > expected)) {
                too_large = 1;
                break;
            }
        }
    }
    const char *zlib_message = stream.msg;
    inflateEnd(&stream);

    if (expected > 8 + (uint64_t)MAT5_MAX_ELEMENT_BYTES) {
        error_set(error, "%s: %s: the compressed element declares %llu bytes, more than "
                  "the maximum of %u", path, element, (unsigned long long)(expected - 8),
                  MAT5_MAX_ELEMENT_BYTES);
        return -1;
    }
    if (too_large) {
        error_set(error, "%s: %s: compressed data inflates to more than the %llu bytes "
                  "its inner tag declares", path, element, (unsigned long long)expected);
        return -1;
    }
    if (status != Z_STREAM_END) {
        error_set(error, "%s: %s: compressed data is corrupt or cut short (zlib: %s)",
                  path, element,
                  status == Z_OK ? "stream ends early" : (zlib_message ? zlib_message : "error"));
        return -1;
    }
    if (produced < 8 || produced != expected) {
        error_set(error, "%s: %s: compressed data inflates to %llu bytes, expected %llu "
                  "from its inner tag", path, element,
                  (unsigned long long)produced, (unsigned long long)expected);
        return -1;
    }
    *element_bytes = expected - 8;
    return 0;
}

static int check_header(Mat5File *mat, const char *path, long file_size, Error *error)
{
    uint8_t header[MAT5_HEADER_SIZE];
    if (file_size < MAT5_HEADER_SIZE || fread(header, 1, sizeof header, mat->file) != sizeof header) {
        error_set(error, "%s: not a MATLAB MAT file (%ld bytes, shorter than the %d-byte header)",
                  path, file_size, MAT5_HEADER_SIZE);
        return -1;
    }

    if (header[126] == 'I' && header[127] == 'M') {
        mat->swap = 0;
    } else if (header[126] == 'M' && header[127] == 'I') {
        mat->swap = 1;
    } else {
        error_set(error, "%s: not a MATLAB MAT file (endian mark 0x%02x%02x, expected \"IM\" "
                  "or \"MI\")", path, header[126], header[127]);
        return -1;
    }

    uint16_t version = mat->swap ? (uint16_t)(header[124] << 8 | header[125])
                                 : (uint16_t)(header[125] << 8 | header[124]);
    if (version == MAT73_VERSION) {
        error_set(error, "%s: MAT file version 7.3 (HDF5) is not supported, "
                  "expected version 5 (save with -v7)", path);
        return -1;
    }
    if (version != MAT5_VERSION) {
        error_set(error, "%s: not a MATLAB MAT file (version 0x%04x, expected 0x%04x)",
                  path, version, MAT5_VERSION);
        return -1;
    }
    return 0;
}

// Walks the top-level elements and checks that each one's declared byte
// count fits in the file, and that each variable's header is well formed
// and declares no more elements than the variable's element has bytes.
static int check_elements(Mat5File *mat, const char *path, long file_size, Error *error)
{
    long offset = MAT5_HEADER_SIZE;
    while (offset < file_size) {
        uint8_t tag[8];
        if (file_size - offset < 8 || fread(tag, 1, sizeof tag, mat->file) != sizeof tag) {
            error_set(error, "%s: file truncated: %ld bytes after the last complete "
                      "variable, too few for an element tag", path, file_size - offset);
            return -1;
        }
        uint32_t type = word_at(mat, tag);
        uint32_t size = word_at(mat, tag + 4);
        long available = file_size - offset - 8;

        uint8_t prefix[NAME_PREFIX_SIZE];
        size_t prefix_size = fread(prefix, 1, size < sizeof prefix ? size : sizeof prefix,
                                   mat->file);
        MatrixHeader header = {0};
        if (type == MI_COMPRESSED) {
            header = parse_compressed_header(mat, prefix, prefix_size);
        } else if (type == MI_MATRIX) {
            header = parse_matrix_header(mat, prefix, prefix_size);
        }
        const char *name = header.name;

        // Messages name the variable when its name could be read.
        char element[128];
        if (name[0] != '\0') {
            snprintf(element, sizeof element, "variable %s (element at byte %ld)", name, offset);
        } else {
            snprintf(element, sizeof element, "element at byte %ld", offset);
        }

        if ((long long)size > available) {
            error_set(error, "%s: %s: file truncated: the element declares %u bytes "
                      "but only %ld follow", path, element, size, available);
            return -1;
        }

        uint64_t element_bytes = size;
        if (type == MI_COMPRESSED) {
            if (fseek(mat->file, offset + 8, SEEK_SET) != 0) {
                error_set(error, "%s: seeking to byte %ld failed: %s", path, offset + 8,
                          strerror(errno));
                return -1;
            }
            if (verify_compressed(mat, path, element, size, &element_bytes, error) != 0) {
                return -1;
            }
        }

        // A compressed element's stream is verified first, so a corrupt stream
        // is reported as such rather than as an unreadable header.
        const int is_variable = type == MI_MATRIX || type == MI_COMPRESSED;
        if (is_variable && !header.valid) {
            error_set(error, "%s: %s: invalid variable header: the array flags, dims and "
                      "name do not fit in the first %d bytes of the element or have "
                      "invalid sizes (file corrupt)", path, element, NAME_PREFIX_SIZE);
            return -1;
        }
        if (is_variable && !is_plain_array_class(header.class_type)) {
            error_set(error, "%s: %s: unsupported MATLAB class code %d, expected a numeric "
                      "or char array (cell, struct, object and sparse variables are not "
                      "read)", path, element, header.class_type);
            return -1;
        }

        // Each element of a numeric or char array takes at least one byte of
        // the miMATRIX element, so dims that declare more elements than it
        // has bytes are corrupt. matio would allocate for them.
        if (is_variable && header.element_count > element_bytes) {
            error_set(error, "%s: %s: the dims declare %llu elements but the element has "
                      "only %llu bytes (file truncated or corrupt)", path, element,
                      (unsigned long long)header.element_count,
                      (unsigned long long)element_bytes);
            return -1;
        }

        // Elements are padded to 8 bytes, except compressed ones.
        long next = offset + 8 + (long)size;
        if (type != MI_COMPRESSED) {
            next = offset + 8 + ((long)size + 7) / 8 * 8;
        }
        if (next > file_size) {
            next = file_size;
        }
        if (fseek(mat->file, next, SEEK_SET) != 0) {
            error_set(error, "%s: seeking to byte %ld failed: %s", path, next, strerror(errno));
            return -1;
        }
        offset = next;
    }
    return 0;
}

int mat5_check_layout(const char *path, Error *error)
{
    Mat5File mat = {.file = fopen(path, "rb"), .swap = 0};
    if (mat.file == NULL) {
        error_set(error, "%s: cannot open MAT file: %s", path, strerror(errno));
        return -1;
    }
    // fopen succeeds on a directory on Linux, and its size would then be
    // reported as nonsense, so anything but a regular file is rejected here.
    struct stat info;
    if (fstat(fileno(mat.file), &info) == 0 && !S_ISREG(info.st_mode)) {
        error_set(error, "%s: not a regular file (it is %s); expected a MATLAB MAT file",
                  path, S_ISDIR(info.st_mode) ? "a directory" : "a special file");
        fclose(mat.file);
        return -1;
    }

    long file_size = -1;
    if (fseek(mat.file, 0, SEEK_END) == 0) {
        file_size = ftell(mat.file);
    }
    if (file_size < 0 || fseek(mat.file, 0, SEEK_SET) != 0) {
        error_set(error, "%s: cannot determine the file size: %s", path, strerror(errno));
        fclose(mat.file);
        return -1;
    }

    int status = check_header(&mat, path, file_size, error);
    if (status == 0) {
        status = check_elements(&mat, path, file_size, error);
    }
    fclose(mat.file);
    return status;
}
