#ifndef SVHN_METRICS_LOG_H
#define SVHN_METRICS_LOG_H

#include "svhn/error.h"
#include "svhn/trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define METRICS_LOG_HEADER \
    "epoch,train_loss,train_acc,test_loss,test_acc,examples_per_sec,seconds,lr"

// Writes the CSV log with a header and one row per epoch in
// rows[0..row_count). The file is written to PATH.tmp and renamed over PATH,
// so a failed write leaves the previous version intact.
int metrics_log_write(const char *path, const EpochMetrics *rows, int row_count,
                      float learning_rate, Error *error);

#ifdef __cplusplus
}
#endif

#endif
