// Replays saved fuzzer inputs through a harness in the normal build, so
// ctest catches a reader that again allocates gigabytes or hangs on an
// input that once did. Each argument is a file, passed whole to the
// harness's LLVMFuzzerTestOneInput.
//
// The project's static libraries are linked with --wrap for malloc,
// calloc, realloc and aligned_alloc, so every allocation they make passes
// the size check below. libFuzzer counts an allocation over 2 GiB as a
// finding, and so does this driver. ctest's timeout replaces libFuzzer's
// 10 s limit per input.

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOCATION_LIMIT_BYTES ((size_t)2 << 30)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);

static void check_size(const char *function, size_t count, size_t size)
{
    if (size != 0 && count > ALLOCATION_LIMIT_BYTES / size) {
        fprintf(stderr, "replay: %s of %zu x %zu bytes exceeds the 2 GiB limit\n", function,
                count, size);
        abort();
    }
}

void *__wrap_malloc(size_t size)
{
    check_size("malloc", 1, size);
    return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    check_size("calloc", count, size);
    return __real_calloc(count, size);
}

void *__wrap_realloc(void *pointer, size_t size)
{
    check_size("realloc", 1, size);
    return __real_realloc(pointer, size);
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    check_size("aligned_alloc", 1, size);
    return __real_aligned_alloc(alignment, size);
}

// Reads the whole file into a buffer allocated to its exact size, so a
// harness reading past the input shows up under the sanitizer builds.
static uint8_t *read_input(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL || fseek(file, 0, SEEK_END) != 0) {
        fprintf(stderr, "replay: failed to open %s: %s\n", path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    const long length = ftell(file);
    rewind(file);
    uint8_t *data = __real_malloc(length > 0 ? (size_t)length : 1);
    if (length < 0 || data == NULL || fread(data, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "replay: failed to read %s\n", path);
        exit(EXIT_FAILURE);
    }
    fclose(file);
    *size = (size_t)length;
    return data;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        uint8_t *data = read_input(argv[i], &size);
        fprintf(stderr, "replay: %s (%zu bytes)\n", argv[i], size);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    return 0;
}
