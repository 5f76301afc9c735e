#ifndef SVHN_CONFUSION_H
#define SVHN_CONFUSION_H

// Per-class evaluation of a classifier: the confusion matrix and the
// accuracy, precision and recall derived from it.

#include "svhn/dataset.h"
#include "svhn/error.h"
#include "svhn/network.h"
#include "svhn/trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    long counts[DATASET_CLASSES][DATASET_CLASSES];  // [true class][predicted class]
    long total;                                     // examples evaluated
    double loss_sum;                                // summed cross-entropy loss
} ConfusionMatrix;

// Runs the network on every example of `data` in batches of batch_size (at
// most the network's max_batch) and counts each (label, prediction) pair.
// The prediction is the largest logit, the first index winning a tie, as
// in count_correct. Returns 0, or -1 with a message when out of memory.
int confusion_evaluate(Network *network, const Dataset *data,
                       const Normalization *normalization, int batch_size,
                       ConfusionMatrix *matrix, Error *error);

// Fraction 0..1 of examples on the diagonal; 0 when the matrix is empty.
double confusion_accuracy(const ConfusionMatrix *matrix);

// Of the examples predicted as class c, the fraction that are c. 0 when no
// example was predicted as c.
double confusion_precision(const ConfusionMatrix *matrix, int c);

// Of the examples of class c, the fraction predicted as c. 0 when the data
// has no example of class c.
double confusion_recall(const ConfusionMatrix *matrix, int c);

#ifdef __cplusplus
}
#endif

#endif
