#ifndef SVHN_ERROR_H
#define SVHN_ERROR_H

// A one-line error message filled in by a failing library call. Library
// functions never print or exit; they return non-zero and leave the reason
// here, so programs decide how to report it and tests can check it.

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_MESSAGE_SIZE 512

typedef struct {
    char message[ERROR_MESSAGE_SIZE];
} Error;

// Formats the message like printf. Accepts a NULL error and does nothing.
void error_set(Error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
