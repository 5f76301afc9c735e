#include "svhn/error.h"

#include <stdarg.h>
#include <stdio.h>

void error_set(Error *error, const char *format, ...)
{
    if (error == NULL) {
        return;
    }

    // vsnprintf truncates long messages and always terminates the buffer.
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}
