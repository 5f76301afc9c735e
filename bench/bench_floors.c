#include "bench_floors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_SIZE 256
#define FIELD_SEPARATORS " \t"

// Parses "-" as NAN, or else a whole field that is a finite number above 0.
static int parse_floor_value(const char *text, double *value)
{
    if (strcmp(text, "-") == 0) {
        *value = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    const double parsed = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(parsed) || !(parsed > 0.0)) {
        return -1;
    }
    *value = parsed;
    return 0;
}

static int find_name(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

// Parses one line without its line end into floors. Returns 0 for an entry
// or a line with only a comment or blanks, and -1 after printing the problem.
static int parse_line(const char *path, int line_number, const char *text,
                      const char *const *names, int count, BenchFloor *floors)
{
    char fields[LINE_SIZE];
    snprintf(fields, sizeof fields, "%s", text);
    fields[strcspn(fields, "#")] = '\0';

    const char *name = strtok(fields, FIELD_SEPARATORS);
    if (name == NULL) {
        return 0;
    }
    const char *reference = strtok(NULL, FIELD_SEPARATORS);
    const char *onednn = strtok(NULL, FIELD_SEPARATORS);
    if (onednn == NULL || strtok(NULL, FIELD_SEPARATORS) != NULL) {
        fprintf(stderr, "layer_bench: %s:%d: invalid line '%s': expected "
                "NAME MIN_VS_REFERENCE MIN_VS_ONEDNN\n", path, line_number, text);
        return -1;
    }
    BenchFloor floor = {.line = line_number};
    const char *invalid = NULL;
    if (parse_floor_value(reference, &floor.min_vs_reference) != 0) {
        invalid = reference;
    } else if (parse_floor_value(onednn, &floor.min_vs_onednn) != 0) {
        invalid = onednn;
    }
    if (invalid != NULL) {
        fprintf(stderr, "layer_bench: %s:%d: invalid floor '%s' in '%s': expected a number "
                "above 0, or '-' for not checked\n", path, line_number, invalid, text);
        return -1;
    }

    const int index = find_name(names, count, name);
    if (index < 0) {
        fprintf(stderr, "layer_bench: %s:%d: unknown product '%s' in '%s': expected a name "
                "from the product column of --check, such as %s\n", path, line_number, name,
                text, names[0]);
        return -1;
    }
    if (floors[index].line != 0) {
        fprintf(stderr, "layer_bench: %s:%d: product '%s' in '%s' already has a floor on "
                "line %d\n", path, line_number, name, text, floors[index].line);
        return -1;
    }
    floors[index] = floor;
    return 0;
}

static int read_lines(FILE *file, const char *path, const char *const *names, int count,
                      BenchFloor *floors)
{
    char line[LINE_SIZE];
    int line_number = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        line_number++;
        const size_t length = strcspn(line, "\r\n");
        if (line[length] == '\0' && !feof(file)) {
            fprintf(stderr, "layer_bench: %s:%d: line longer than %d characters: '%.40s...'\n",
                    path, line_number, LINE_SIZE - 2, line);
            return -1;
        }
        line[length] = '\0';
        if (parse_line(path, line_number, line, names, count, floors) != 0) {
            return -1;
        }
    }
    if (ferror(file)) {
        fprintf(stderr, "layer_bench: reading the floors file %s failed: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

// A missing product would otherwise pass unchecked, so each needs a line
// ("-" for a ratio that is deliberately not checked).
static int check_complete(const char *path, const char *const *names, int count,
                          const BenchFloor *floors)
{
    int entries = 0;
    for (int i = 0; i < count; i++) {
        entries += floors[i].line != 0;
    }
    if (entries == 0) {
        fprintf(stderr, "layer_bench: %s: no floors in the file: expected one line "
                "'NAME MIN_VS_REFERENCE MIN_VS_ONEDNN' per product, such as %s\n", path,
                names[0]);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        if (floors[i].line == 0) {
            fprintf(stderr, "layer_bench: %s: missing floors for product %s: add a line "
                    "'%s MIN_VS_REFERENCE MIN_VS_ONEDNN', with '-' for a ratio not checked\n",
                    path, names[i], names[i]);
            return -1;
        }
    }
    return 0;
}

int bench_floors_read(const char *path, int path_is_default, const char *const *names,
                      int count, BenchFloor *floors)
{
    memset(floors, 0, (size_t)count * sizeof *floors);
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        fprintf(stderr, "layer_bench: cannot open the floors file %s: %s%s\n", path,
                strerror(errno), path_is_default ? " (pass --floors FILE to use another)" : "");
        return -1;
    }
    // fopen opens a directory for reading on Linux, and reading it then fails
    // with EISDIR, so name the problem directly.
    struct stat status;
    if (fstat(fileno(file), &status) == 0 && S_ISDIR(status.st_mode)) {
        fprintf(stderr, "layer_bench: the floors file %s is a directory\n", path);
        fclose(file);
        return -1;
    }
    int result = read_lines(file, path, names, count, floors);
    fclose(file);
    if (result == 0) {
        result = check_complete(path, names, count, floors);
    }
    return result;
}
