#include "option_error.h"

#include <getopt.h>
#include <string.h>

void option_error_describe(Error *error, const char *argument)
{
    // For a known long option getopt_long sets optopt to the option's code:
    // its value is missing, or it takes none and got one with '='. For an
    // unknown long option optopt is 0, and for an unknown short option it is
    // the letter.
    const int long_option = strncmp(argument, "--", 2) == 0;
    const char *equals = strchr(argument, '=');

    if (long_option && optopt != 0 && equals != NULL) {
        error_set(error, "option %.*s takes no value; see --help", (int)(equals - argument),
                  argument);
    } else if (long_option && optopt != 0) {
        error_set(error, "option %s needs a value; see --help", argument);
    } else if (!long_option && optopt != 0) {
        error_set(error, "unknown option '-%c'; see --help", optopt);
    } else {
        error_set(error, "unknown option '%s'; see --help", argument);
    }
}
