// Reads the CSV metrics log back for plotting.

#include <ctype.h>
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

// The maximum length of a line, without its line end. svhn-train's lines are
// under 300 characters: its longest field, a loss from float logits, has at
// most 46 characters with %.6f.
#define MAX_LINE_LENGTH 1023

// A column of the log and the range of the values that svhn-train --log writes
// in it.
typedef struct {
    const char *name;
    double min;
    double max;
    int integer;        // written with %d, so digits only
    const char *range;  // the range in words, for messages
} LogColumn;

// A cross-entropy loss is >= 0, and an accuracy is a fraction of examples.
// A learning rate of 0 stays accepted: svhn-train wrote it before it
// rejected an --lr that rounds to 0 as a float.
static const LogColumn log_columns[LOG_COLUMNS] = {
    {"epoch", 1, INT_MAX, 1, "a whole number from 1 to 2147483647"},
    {"train_loss", 0, INFINITY, 0, "a finite number >= 0"},
    {"train_acc", 0, 1, 0, "a number from 0 to 1"},
    {"test_loss", 0, INFINITY, 0, "a finite number >= 0"},
    {"test_acc", 0, 1, 0, "a number from 0 to 1"},
    {"examples_per_sec", 0, INFINITY, 0, "a finite number >= 0"},
    {"seconds", 0, INFINITY, 0, "a finite number >= 0"},
    {"lr", 0, INFINITY, 0, "a finite number >= 0"},
};

// Splits line at its commas into fields. Returns the number of fields, which
// may exceed LOG_COLUMNS, but stores at most LOG_COLUMNS of them.
static int split_fields(char *line, char *fields[LOG_COLUMNS])
{
    int count = 0;
    char *field = line;
    for (;;) {
        char *comma = strchr(field, ',');
        if (count < LOG_COLUMNS) {
            fields[count] = field;
        }
        count++;
        if (comma == NULL) {
            return count;
        }
        *comma = '\0';
        field = comma + 1;
    }
}

static const char *skip_digits(const char *text)
{
    while (isdigit((unsigned char)*text)) {
        text++;
    }
    return text;
}

// Checks that text is a number in the forms that svhn-train's printf formats
// write: digits, then unless integer is set an optional '.' and digits and an
// optional exponent such as e-05. It rejects what strtod would also take:
// white space, a '+', hex, inf and nan. A '-' is taken only when min < 0.
static int is_plain_decimal(const char *text, int integer, double min)
{
    if (*text == '-' && min < 0) {
        text++;
    }
    const char *end = skip_digits(text);
    if (end == text) {
        return 0;
    }
    if (!integer && *end == '.') {
        const char *fraction = end + 1;
        end = skip_digits(fraction);
        if (end == fraction) {
            return 0;
        }
    }
    if (!integer && (*end == 'e' || *end == 'E')) {
        const char *exponent = end + 1;
        if (*exponent == '-' || *exponent == '+') {
            exponent++;
        }
        end = skip_digits(exponent);
        if (end == exponent) {
            return 0;
        }
    }
    return *end == '\0';
}

// Parses one field of the given column. Returns 0, or -1 with a message
// naming the line, the column, the text and the column's range.
static int parse_field(const char *text, const LogColumn *column, const char *path,
                       int line_number, double *value, Error *error)
{
    int valid = is_plain_decimal(text, column->integer, column->min);
    if (valid) {
        errno = 0;
        *value = strtod(text, NULL);
        valid = errno == 0 && isfinite(*value) && *value >= column->min &&
                *value <= column->max;
    }
    if (!valid) {
        error_set(error, "%s:%d: invalid value '%s' for %s: expected %s", path, line_number,
                  text, column->name, column->range);
        return -1;
    }
    return 0;
}

// Parses one data line into row. Returns 0, or -1 with a message naming the
// line and either the field count or the field and its text.
static int parse_row(char *line, const char *path, int line_number, EpochMetrics *row,
                     Error *error)
{
    char *fields[LOG_COLUMNS];
    const int field_count = split_fields(line, fields);
    if (field_count < LOG_COLUMNS) {
        error_set(error, "%s:%d: too few fields: the row has %d of the %d fields of the "
                  "header %s", path, line_number, field_count, LOG_COLUMNS,
                  METRICS_LOG_HEADER);
        return -1;
    }
    if (field_count > LOG_COLUMNS) {
        error_set(error, "%s:%d: too many fields: the row has %d, but the header has %d: %s",
                  path, line_number, field_count, LOG_COLUMNS, METRICS_LOG_HEADER);
        return -1;
    }

    double values[LOG_COLUMNS];
    for (int column = 0; column < LOG_COLUMNS; column++) {
        if (parse_field(fields[column], &log_columns[column], path, line_number,
                        &values[column], error) != 0) {
            return -1;
        }
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

// Reads one line into line[MAX_LINE_LENGTH + 2] without its line end ("\n"
// or "\r\n"). Returns 1, 0 at the end of the file, or -1 with a message when
// reading fails or the line is longer than MAX_LINE_LENGTH, so that the rest
// of a long line is never read as the next line.
static int read_line(FILE *file, char *line, const char *path, int line_number, Error *error)
{
    if (fgets(line, MAX_LINE_LENGTH + 2, file) == NULL) {
        if (ferror(file)) {
            error_set(error, "%s:%d: reading the metrics log failed: %s", path, line_number,
                      strerror(errno));
            return -1;
        }
        return 0;
    }

    size_t length = strlen(line);
    if (length > 0 && line[length - 1] == '\n') {
        line[--length] = '\0';
    } else if (length == MAX_LINE_LENGTH + 1) {
        // fgets stopped at the end of the buffer. The line is too long unless
        // the one character over the limit is the '\r' of a "\r\n" line end.
        const int next = getc(file);
        if (line[length - 1] != '\r' || (next != '\n' && next != EOF)) {
            error_set(error, "%s:%d: the line is longer than %d characters; expected the CSV "
                      "metrics log written by svhn-train --log, whose lines are shorter",
                      path, line_number, MAX_LINE_LENGTH);
            return -1;
        }
    }
    if (length > 0 && line[length - 1] == '\r') {
        line[--length] = '\0';
    }
    return 1;
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

    char line[MAX_LINE_LENGTH + 2];
    const int header_status = read_line(file, line, csv_path, 1, error);
    if (header_status <= 0) {
        if (header_status == 0) {
            error_set(error, "%s: the metrics log is empty", csv_path);
        }
        fclose(file);
        return -1;
    }
    if (strcmp(line, METRICS_LOG_HEADER) != 0) {
        error_set(error, "%s:1: unexpected header '%s'; expected '%s'", csv_path, line,
                  METRICS_LOG_HEADER);
        fclose(file);
        return -1;
    }

    int capacity = 0;
    int status = 0;
    for (int line_number = 2;; line_number++) {
        const int line_status = read_line(file, line, csv_path, line_number, error);
        if (line_status <= 0) {
            status = line_status;
            break;
        }
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
