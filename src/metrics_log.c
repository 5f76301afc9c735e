#include "svhn/metrics_log.h"
#include "svhn/output_path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int metrics_log_write(const char *path, const EpochMetrics *rows, int row_count,
                      float learning_rate, Error *error)
{
    if (output_path_check(path, "log file", error) != 0) {
        return -1;
    }

    // A fresh, unpredictable temporary name: a fixed PATH.tmp would replace a
    // user's file of that name, or write through a symbolic link there.
    char temp_path[4096];
    int fd = output_path_create_temp(path, "log file", temp_path, sizeof temp_path, error);
    if (fd < 0) {
        return -1;
    }
    FILE *file = fdopen(fd, "w");
    if (file == NULL) {
        error_set(error, "%s: cannot open the temporary log file %s: %s", path, temp_path,
                  strerror(errno));
        close(fd);
        remove(temp_path);
        return -1;
    }

    fprintf(file, "%s\n", METRICS_LOG_HEADER);
    for (int i = 0; i < row_count; i++) {
        const EpochMetrics *m = &rows[i];
        fprintf(file, "%d,%.6f,%.6f,%.6f,%.6f,%.1f,%.3f,%g\n", m->epoch,
                m->train_loss, m->train_accuracy, m->test_loss, m->test_accuracy,
                m->examples_per_sec, m->seconds, learning_rate);
    }

    int failed = fflush(file) != 0 || fsync(fileno(file)) != 0;
    failed |= fclose(file) != 0;
    if (failed) {
        error_set(error, "%s: writing the log to %s failed: %s; the previous log, if any, is "
                  "unchanged", path, temp_path, strerror(errno));
        remove(temp_path);
        return -1;
    }
    if (rename(temp_path, path) != 0) {
        error_set(error, "%s: cannot replace the log file: %s", path, strerror(errno));
        remove(temp_path);
        return -1;
    }
    return 0;
}
