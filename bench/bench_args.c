#include "bench_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int bench_parse_int(const char *text, long min, long max, long *value)
{
    if (text == NULL || !isdigit((unsigned char)text[0])) {
        return -1;
    }
    char *end;
    errno = 0;
    const long parsed = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max) {
        return -1;
    }
    *value = parsed;
    return 0;
}
