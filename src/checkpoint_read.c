// Reads a checkpoint file and checks it before anything in it is used.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "checkpoint_file.h"

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int checkpoint_file_read(CheckpointFile *file, Error *error)
{
    FILE *stream = fopen(file->path, "rb");
    if (stream == NULL) {
        error_set(error, "%s: cannot open the checkpoint: %s", file->path, strerror(errno));
        return -1;
    }
    struct stat info;
    if (fstat(fileno(stream), &info) != 0 || !S_ISREG(info.st_mode)) {
        error_set(error, "%s: not a regular file", file->path);
        fclose(stream);
        return -1;
    }
    file->size = (size_t)info.st_size;
    file->bytes = malloc(file->size > 0 ? file->size : 1);
    if (file->bytes == NULL) {
        error_set(error, "%s: out of memory for a checkpoint of %zu bytes", file->path,
                  file->size);
        fclose(stream);
        return -1;
    }
    size_t got = fread(file->bytes, 1, file->size, stream);
    fclose(stream);
    if (got != file->size) {
        error_set(error, "%s: read %zu of %zu bytes", file->path, got, file->size);
        return -1;
    }
    return 0;
}

// Checks magic, version, byte order, size and CRC-32, in that order, so the
// message names the first thing that is wrong.
static int check_header(const CheckpointFile *file, Error *error)
{
    const unsigned char *b = file->bytes;
    const size_t minimum = CHECKPOINT_HEADER_SIZE + CHECKPOINT_CRC_SIZE;
    if (file->size >= 8 && memcmp(b, CHECKPOINT_MAGIC, 8) != 0) {
        error_set(error, "%s: not a checkpoint: wrong magic number (expected \"%s\")",
                  file->path, CHECKPOINT_MAGIC);
        return -1;
    }
    if (file->size < minimum) {
        error_set(error, "%s: truncated checkpoint: %zu bytes, less than the %zu-byte "
                  "header and checksum", file->path, file->size, minimum);
        return -1;
    }
    uint32_t version = get_u32(b + 8);
    if (version != CHECKPOINT_VERSION) {
        error_set(error, "%s: unsupported checkpoint format version %u (this program "
                  "reads version %u)", file->path, version, CHECKPOINT_VERSION);
        return -1;
    }
    uint32_t mark = get_u32(b + 12);
    if (mark != CHECKPOINT_BYTE_ORDER_MARK) {
        error_set(error, "%s: unsupported byte-order mark 0x%08x (expected 0x%08x, "
                  "little-endian)", file->path, mark, CHECKPOINT_BYTE_ORDER_MARK);
        return -1;
    }
    uint64_t declared = get_u64(b + 24);
    if (declared > file->size) {
        error_set(error, "%s: truncated checkpoint: the header gives %llu bytes but the "
                  "file has %zu", file->path, (unsigned long long)declared, file->size);
        return -1;
    }
    if (declared < file->size) {
        error_set(error, "%s: %llu bytes of unexpected data after the %llu bytes the "
                  "header gives", file->path, (unsigned long long)(file->size - declared),
                  (unsigned long long)declared);
        return -1;
    }

    const size_t end = file->size - CHECKPOINT_CRC_SIZE;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < end;) {
        size_t piece = end - done < (1u << 30) ? end - done : (1u << 30);
        crc = crc32(crc, b + done, (uInt)piece);
        done += piece;
    }
    uint32_t stored = get_u32(b + end);
    if (stored != (uint32_t)crc) {
        error_set(error, "%s: checksum mismatch: the file stores CRC-32 0x%08x but its "
                  "contents give 0x%08x; the file is corrupt", file->path, stored,
                  (uint32_t)crc);
        return -1;
    }
    return 0;
}

// Parses one table entry at *position. Returns 0, or -1 when it does not fit
// the file or is malformed.
static int parse_entry(CheckpointFile *file, int index, size_t *position, size_t data_end,
                       Error *error)
{
    const unsigned char *b = file->bytes;
    CheckpointTensor *tensor = &file->tensors[index];
    *tensor = (CheckpointTensor){0};
    size_t p = *position;

    if (p + 2 > data_end) {
        goto overrun;
    }
    size_t name_length = (size_t)b[p] | (size_t)b[p + 1] << 8;
    p += 2;
    if (name_length == 0 || name_length >= CHECKPOINT_MAX_NAME) {
        error_set(error, "%s: tensor table entry %d has an invalid name length %zu "
                  "(expected 1..%d)", file->path, index, name_length, CHECKPOINT_MAX_NAME - 1);
        return -1;
    }
    if (p + name_length + 2 > data_end) {
        goto overrun;
    }
    memcpy(tensor->name, b + p, name_length);
    p += name_length;
    tensor->type = (TensorType)b[p];
    tensor->rank = b[p + 1];
    p += 2;
    if (tensor_type_size(tensor->type) == 0 || tensor->rank > CHECKPOINT_MAX_RANK) {
        error_set(error, "%s: tensor '%s' has an invalid type %d or rank %d", file->path,
                  tensor->name, (int)tensor->type, tensor->rank);
        return -1;
    }
    if (p + 8 * (size_t)tensor->rank + 8 > data_end) {
        goto overrun;
    }
    for (int d = 0; d < tensor->rank; d++) {
        tensor->dims[d] = get_u64(b + p);
        p += 8;
    }
    uint64_t offset = get_u64(b + p);
    p += 8;

    // Each dimension is checked before multiplying, so the byte count cannot wrap.
    uint64_t bytes = tensor_type_size(tensor->type);
    for (int d = 0; d < tensor->rank; d++) {
        if (tensor->dims[d] > data_end || (tensor->dims[d] > 0 && bytes > data_end / tensor->dims[d])) {
            bytes = UINT64_MAX;
            break;
        }
        bytes *= tensor->dims[d];
    }
    if (offset > data_end || bytes > data_end - offset) {
        error_set(error, "%s: truncated checkpoint: the data of tensor '%s' (offset %llu) "
                  "runs past the end of the file", file->path, tensor->name,
                  (unsigned long long)offset);
        return -1;
    }
    tensor->data = b + offset;
    *position = p;
    return 0;

overrun:
    error_set(error, "%s: truncated checkpoint: tensor table entry %d runs past the end "
              "of the file", file->path, index);
    return -1;
}

static int parse_table(CheckpointFile *file, Error *error)
{
    uint32_t count = get_u32(file->bytes + 16);
    if (count > CHECKPOINT_MAX_TENSORS) {
        error_set(error, "%s: the header lists %u tensors, more than the %d allowed",
                  file->path, count, CHECKPOINT_MAX_TENSORS);
        return -1;
    }
    file->count = (int)count;
    size_t position = CHECKPOINT_HEADER_SIZE;
    const size_t data_end = file->size - CHECKPOINT_CRC_SIZE;
    for (int i = 0; i < file->count; i++) {
        if (parse_entry(file, i, &position, data_end, error) != 0) {
            return -1;
        }
    }
    return 0;
}

// Finds a tensor by name and checks its type and, when dims is not NULL,
// its shape. Returns it, or NULL with a message.
const CheckpointTensor *checkpoint_find_tensor(const CheckpointFile *file, const char *name,
                                           TensorType type, int rank, const uint64_t *dims,
                                           Error *error)
{
    const CheckpointTensor *found = NULL;
    for (int i = 0; i < file->count && found == NULL; i++) {
        if (strcmp(file->tensors[i].name, name) == 0) {
            found = &file->tensors[i];
        }
    }
    if (found == NULL) {
        error_set(error, "%s: tensor '%s' is missing", file->path, name);
        return NULL;
    }
    if (found->type != type) {
        error_set(error, "%s: tensor '%s' has type %s, expected %s", file->path, name,
                  tensor_type_name(found->type), tensor_type_name(type));
        return NULL;
    }
    int shape_ok = found->rank == rank;
    for (int d = 0; d < rank && shape_ok && dims != NULL; d++) {
        shape_ok = found->dims[d] == dims[d];
    }
    if (!shape_ok) {
        char got[96], expected[96];
        CheckpointTensor wanted = {.rank = rank};
        for (int d = 0; d < rank; d++) {
            wanted.dims[d] = dims != NULL ? dims[d] : found->dims[d];
        }
        tensor_format_shape(found, got, sizeof got);
        tensor_format_shape(&wanted, expected, sizeof expected);
        error_set(error, "%s: tensor '%s' has shape %s, expected %s%s", file->path, name,
                  got, expected, dims == NULL ? " (rank differs)" : "");
        return NULL;
    }
    return found;
}

void checkpoint_copy_tensor(void *dst, const CheckpointTensor *tensor)
{
    const size_t size = tensor_type_size(tensor->type);
    const uint64_t count = tensor_element_count(tensor);
    if (count == 0) {
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const unsigned char *s = tensor->data;
    unsigned char *d = dst;
    for (uint64_t i = 0; i < count; i++) {
        for (size_t b = 0; b < size; b++) {
            d[i * size + b] = s[i * size + size - 1 - b];
        }
    }
#else
    memcpy(dst, tensor->data, size * (size_t)count);
#endif
}

// Reads a scalar tensor of `type` into value. Returns 0 or -1.
int checkpoint_read_scalar(const CheckpointFile *file, const char *name, TensorType type,
                       void *value, Error *error)
{
    const CheckpointTensor *tensor = checkpoint_find_tensor(file, name, type, 0, NULL, error);
    if (tensor == NULL) {
        return -1;
    }
    checkpoint_copy_tensor(value, tensor);
    return 0;
}

// Reads a text tensor into text (NUL-terminated). Returns 0 or -1.
int checkpoint_read_text(const CheckpointFile *file, const char *name, char *text,
                     size_t text_size, Error *error)
{
    const CheckpointTensor *tensor = checkpoint_find_tensor(file, name, TENSOR_TEXT, 1, NULL, error);
    if (tensor == NULL) {
        return -1;
    }
    if (tensor->dims[0] >= text_size) {
        error_set(error, "%s: tensor '%s' is %llu bytes long, more than %zu", file->path,
                  name, (unsigned long long)tensor->dims[0], text_size - 1);
        return -1;
    }
    memcpy(text, tensor->data, (size_t)tensor->dims[0]);
    text[tensor->dims[0]] = '\0';
    return 0;
}

// Reads an array of `count` elements, allocating *out. Returns 0 or -1.
int checkpoint_read_array(const CheckpointFile *file, const char *name, TensorType type,
                      int rank, const uint64_t *dims, void **out, Error *error)
{
    const CheckpointTensor *tensor = checkpoint_find_tensor(file, name, type, rank, dims, error);
    if (tensor == NULL) {
        return -1;
    }
    size_t bytes = tensor_type_size(type) * (size_t)tensor_element_count(tensor);
    *out = malloc(bytes > 0 ? bytes : 1);
    if (*out == NULL) {
        error_set(error, "%s: out of memory for tensor '%s' (%zu bytes)", file->path, name,
                  bytes);
        return -1;
    }
    checkpoint_copy_tensor(*out, tensor);
    return 0;
}

int checkpoint_file_parse(CheckpointFile *file, Error *error)
{
    if (check_header(file, error) != 0) {
        return -1;
    }
    return parse_table(file, error);
}
