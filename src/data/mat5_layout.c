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

#include <zlib.h>

#define MAT5_HEADER_SIZE 128
#define MAT5_VERSION 0x0100
#define MAT73_VERSION 0x0200
#define MI_MATRIX 14
#define MI_COMPRESSED 15

// Enough of a variable's start to reach its name: matrix tag (8), array
// flags (16), dims (8 + 8 per pair of dims) and the name (8 + up to 64).
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

// Copies the array name out of the start of an miMATRIX element's data
// (after its tag). Leaves it empty when the prefix is too short or malformed.
static void parse_name(const Mat5File *mat, const uint8_t *bytes, size_t length,
                       char *name, size_t name_size)
{
    name[0] = '\0';

    const uint8_t *data;
    uint32_t size;
    size_t offset = read_subelement(mat, bytes, length, 0, &data, &size);  // array flags
    if (offset != 0) {
        offset = read_subelement(mat, bytes, length, offset, &data, &size);  // dims
    }
    if (offset != 0 && read_subelement(mat, bytes, length, offset, &data, &size) != 0) {
        size_t copied = size < name_size - 1 ? size : name_size - 1;
        memcpy(name, data, copied);
        name[copied] = '\0';
    }
}

// Inflates the start of a compressed element to read the name of the
// miMATRIX element inside it.
static void parse_compressed_name(const Mat5File *mat, const uint8_t *compressed,
                                  size_t length, char *name, size_t name_size)
{
    uint8_t inflated[NAME_PREFIX_SIZE];
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    name[0] = '\0';
    if (inflateInit(&stream) != Z_OK) {
        return;
    }

    stream.next_in = (Bytef *)compressed;
    stream.avail_in = (uInt)length;
    stream.next_out = inflated;
    stream.avail_out = sizeof inflated;
    inflate(&stream, Z_SYNC_FLUSH);
    size_t produced = sizeof inflated - stream.avail_out;
    inflateEnd(&stream);

    if (produced > 8) {
        parse_name(mat, inflated + 8, produced - 8, name, name_size);
    }
}

// Inflates a whole compressed element from the current file position and
// checks that the zlib stream is complete and intact (inflate verifies the
// Adler-32 checksum at the stream end) and that it contains exactly the one
// element its tag declares. This decompresses the data a second time (matio
// does it again when reading) because matio 1.5.23 returns corrupt
// compressed data without an error.
static int verify_compressed(const Mat5File *mat, const char *path, const char *element,
                             uint32_t size, Error *error)
{
    static const size_t chunk = 1u << 16;
    uint8_t input[1u << 16];
    uint8_t output[1u << 16];
    uint8_t inner_tag[8];
    uint64_t produced = 0;

    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) {
        error_set(error, "%s: %s: zlib could not start decompression", path, element);
        return -1;
    }

    int status = Z_OK;
    uint32_t remaining = size;
    while (status == Z_OK && remaining > 0) {
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
            }
            produced += written;
        }
    }
    const char *zlib_message = stream.msg;
    inflateEnd(&stream);

    if (status != Z_STREAM_END) {
        error_set(error, "%s: %s: compressed data is corrupt or cut short (zlib: %s)",
                  path, element,
                  status == Z_OK ? "stream ends early" : (zlib_message ? zlib_message : "error"));
        return -1;
    }
    uint64_t expected = produced >= 8 ? 8 + (uint64_t)word_at(mat, inner_tag + 4) : 0;
    if (produced < 8 || produced != expected) {
        error_set(error, "%s: %s: compressed data inflates to %llu bytes, expected %llu "
                  "from its inner tag", path, element,
                  (unsigned long long)produced, (unsigned long long)expected);
        return -1;
    }
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
// count fits in the file.
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
        char name[65];
        if (type == MI_COMPRESSED) {
            parse_compressed_name(mat, prefix, prefix_size, name, sizeof name);
        } else if (type == MI_MATRIX) {
            parse_name(mat, prefix, prefix_size, name, sizeof name);
        } else {
            name[0] = '\0';
        }

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

        if (type == MI_COMPRESSED) {
            if (fseek(mat->file, offset + 8, SEEK_SET) != 0) {
                error_set(error, "%s: seeking to byte %ld failed: %s", path, offset + 8,
                          strerror(errno));
                return -1;
            }
            if (verify_compressed(mat, path, element, size, error) != 0) {
                return -1;
            }
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
