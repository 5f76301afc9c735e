#ifndef SVHN_LOSS_H
#define SVHN_LOSS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Softmax cross-entropy, fused, averaged over the batch.
// Writes the softmax probabilities to probs (batch, classes) and returns the
// mean of -log p[label]. Uses log-sum-exp with the row maximum subtracted,
// so large logits do not overflow.
float softmax_cross_entropy_forward(float *probs, const float *logits,
                                    const uint8_t *labels, int batch, int classes);

// dlogits = (probs - one_hot(labels)) / batch, shape (batch, classes).
void softmax_cross_entropy_backward(float *dlogits, const float *probs,
                                    const uint8_t *labels, int batch, int classes);

// Number of rows whose largest logit is at the label's index (the first
// index wins a tie).
int count_correct(const float *logits, const uint8_t *labels, int batch,
                  int classes);

#ifdef __cplusplus
}
#endif

#endif
