// libFuzzer harness for svhn-train's command-line parser. The input is split
// at NUL bytes into argv[1..], after a fixed argv[0].

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGUMENTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *help_stream = NULL;
    if (help_stream == NULL) {
        help_stream = fopen("/dev/null", "w");
        if (help_stream == NULL) {
            abort();
        }
    }

    // A private NUL-terminated copy, so every piece is a C string and the
    // parser may not write into the fuzzer's buffer.
    char *text = malloc(size + 1);
    if (text == NULL) {
        abort();
    }
    memcpy(text, data, size);
    text[size] = '\0';

    char program[] = "svhn-train";
    char *argv[MAX_ARGUMENTS + 2] = {program};
    int argc = 1;
    size_t start = 0;
    for (size_t i = 0; i <= size && argc <= MAX_ARGUMENTS; i++) {
        if (text[i] == '\0') {
            argv[argc++] = text + start;
            start = i + 1;
        }
    }
    argv[argc] = NULL;

    TrainOptions options;
    Error error = {{0}};
    OptionsStatus status = train_options_parse(&options, argc, argv, help_stream, &error);
    if (status == OPTIONS_INVALID && error.message[0] == '\0') {
        abort();  // every rejection must set a message
    }
    if (status == OPTIONS_OK) {
        // The parser guarantees these ranges to the trainer.
        if (options.epochs < 1 || options.batch_size < 1 || options.threads < 0 ||
            options.prefetch < 0 || options.prefetch == 1 || options.prefetch > 64) {
            abort();
        }
    }
    free(text);
    return 0;
}
