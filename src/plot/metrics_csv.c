// Reads the CSV metrics log back for plotting.

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curves.h"
#include "svhn/metrics_log.h"

#define LOG_COLUMNS 8

static const char *const column_names[LOG_COLUMNS] = {
    "epoch", "train_loss", "train_acc", "test_loss", "test_acc",
    "examples_per_sec", "seconds", "lr"};

// Parses one data line into row. Returns 0, or -1 with a message naming the
// line, the field and its text.
static int parse_row(char *line, const char *path, int line_number, EpochMetrics *row,
                     Error *error)
{
    double values[LOG_COLUMNS];
    char *cursor = line;
    for (int column = 0; column < LOG_COLUMNS; column++) {
        char *end;
        errno = 0;
        values[column] = strtod(cursor, &end);
        const char expected_end = column + 1 < LOG_COLUMNS ? ',' : '\0';
        if (end == cursor || errno != 0 || *end != expected_end || !isfinite(values[column])) {
            error_set(error, "%s:%d: invalid value '%.*s' for %s: expected a finite number "
                      "followed by %s", path, line_number, (int)strcspn(cursor, ","), cursor,
                      column_names[column],
                      expected_end == ',' ? "a comma" : "the end of the line");
            return -1;
        }
        cursor = end + 1;
    }
    if (values[0] != floor(values[0]) || values[0] < 1 || values[0] > INT_MAX) {
        error_set(error, "%s:%d: invalid value '%.*s' for epoch: expected a whole number "
                  "from 1", path, line_number, (int)strcspn(line, ","), line);
        return -1;
    }
    *row = (EpochMetrics){
        .epoch = (int)values[0],
        .train_loss = values[1],
        .train_accuracy = values[2],
        .test_loss = values[3],
        .test_accuracy = values[4],
        .examples_per_sec = values[5],
        .seconds = values[6],
    };
    return 0;
}

static void strip_line_end(char *line)
{
    size_t length = strlen(line);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) {
        line[--length] = '\0';
    }
}

int metrics_log_read(const char *csv_path, EpochMetrics **rows, int *count, Error *error)
{
    *rows = NULL;
    *count = 0;
    FILE *file = fopen(csv_path, "r");
    if (file == NULL) {
        error_set(error, "%s: cannot open the metrics log: %s", csv_path, strerror(errno));
        return -1;
    }
    // fopen succeeds on a directory, whose first read then fails as if the
    // log were empty.
    struct stat info;
    if (fstat(fileno(file), &info) == 0 && !S_ISREG(info.st_mode)) {
        error_set(error, "%s: not a regular file (it is %s); expected the CSV metrics log "
                  "written by svhn-train --log", csv_path,
                  S_ISDIR(info.st_mode) ? "a directory" : "a special file");
        fclose(file);
        return -1;
    }

    char line[1024];
    if (fgets(line, sizeof line, file) == NULL) {
        error_set(error, "%s: the metrics log is empty", csv_path);
        fclose(file);
        return -1;
    }
    strip_line_end(line);
    if (strcmp(line, METRICS_LOG_HEADER) != 0) {
        error_set(error, "%s:1: unexpected header '%s'; expected '%s'", csv_path, line,
                  METRICS_LOG_HEADER);
        fclose(file);
        return -1;
    }

    int capacity = 0;
    int status = 0;
    for (int line_number = 2; fgets(line, sizeof line, file) != NULL; line_number++) {
        strip_line_end(line);
        if (line[0] == '\0') {
            continue;
        }
        if (*count == capacity) {
            capacity = capacity > 0 ? 2 * capacity : 64;
            EpochMetrics *grown = realloc(*rows, (size_t)capacity * sizeof(EpochMetrics));
            if (grown == NULL) {
                error_set(error, "%s: out of memory for %d rows", csv_path, capacity);
                status = -1;
                break;
            }
            *rows = grown;
        }
        if (parse_row(line, csv_path, line_number, &(*rows)[*count], error) != 0) {
            status = -1;
            break;
        }
        // svhn-train writes one row per finished epoch in order, so a repeated
        // or smaller epoch most likely means that rows of two runs were mixed.
        const int epoch = (*rows)[*count].epoch;
        if (*count > 0 && epoch <= (*rows)[*count - 1].epoch) {
            error_set(error, "%s:%d: invalid value '%.*s' for epoch: expected more than the "
                      "previous row's epoch %d, because epochs must increase", csv_path,
                      line_number, (int)strcspn(line, ","), line, (*rows)[*count - 1].epoch);
            status = -1;
            break;
        }
        (*count)++;
    }
    fclose(file);

    if (status == 0 && *count == 0) {
        error_set(error, "%s: the metrics log has a header but no epochs", csv_path);
        status = -1;
    }
    if (status != 0) {
        free(*rows);
        *rows = NULL;
        *count = 0;
    }
    return status;
}
