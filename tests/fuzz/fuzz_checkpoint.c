// libFuzzer harness for the checkpoint reader. Byte 0 of the input is a
// flag and the rest is the file. With bit 0 set the harness writes the
// file's real size into the header and appends its CRC-32, so mutations get
// past the size and checksum checks to the tensor table and the values.
// Without it, those checks themselves are fuzzed.

#include "fuzz_input_file.h"

#include <string.h>
#include <zlib.h>

#include "svhn/checkpoint.h"

// Offsets from docs/checkpoint-format.md: the u64 file size at byte 24 of
// the header, the u32 CRC-32 of everything before it at the end.
#define SIZE_FIELD_OFFSET 24
#define HEADER_SIZE 32

static uint8_t *with_size_and_crc(const uint8_t *data, size_t size, size_t *out_size)
{
    *out_size = size + 4;
    uint8_t *bytes = malloc(*out_size);
    if (bytes == NULL) {
        abort();
    }
    memcpy(bytes, data, size);
    if (size >= HEADER_SIZE) {
        uint64_t total = *out_size;
        for (int i = 0; i < 8; i++) {
            bytes[SIZE_FIELD_OFFSET + i] = (uint8_t)(total >> (8 * i));
        }
    }
    uint32_t crc = (uint32_t)crc32(0L, bytes, (uInt)size);
    for (int i = 0; i < 4; i++) {
        bytes[size + i] = (uint8_t)(crc >> (8 * i));
    }
    return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzInputFile file = {.fd = -1};
    if (file.fd < 0) {
        fuzz_input_file_open(&file, "fuzz.ckpt");
    }
    if (size < 1) {
        return 0;
    }
    const int fix_size_and_crc = data[0] & 1;
    data++;
    size--;
    if (fix_size_and_crc) {
        size_t fixed_size;
        uint8_t *fixed = with_size_and_crc(data, size, &fixed_size);
        fuzz_input_file_write(&file, fixed, fixed_size);
        free(fixed);
    } else {
        fuzz_input_file_write(&file, data, size);
    }

    Checkpoint checkpoint;
    Error error = {{0}};
    if (checkpoint_load(file.path, &checkpoint, &error) != 0) {
        return 0;
    }
    // What svhn-eval and svhn-predict do next with a loaded checkpoint.
    Network *network = checkpoint_create_network(&checkpoint, file.path, 1,
                                                 BACKEND_REFERENCE, &error);
    network_free(network);
    checkpoint_free(&checkpoint);
    return 0;
}
