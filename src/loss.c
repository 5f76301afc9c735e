#include "svhn/loss.h"

#include <math.h>
#include <stddef.h>

float softmax_cross_entropy_forward(float *probs, const float *logits,
                                    const uint8_t *labels, int batch, int classes)
{
    double loss_sum = 0.0;

    for (int n = 0; n < batch; n++) {
        const float *z = logits + (size_t)n * classes;
        float *p = probs + (size_t)n * classes;

        // Subtracting the row maximum keeps every exponent <= 0, so exp()
        // cannot overflow and log(sum) >= 0.
        float max_logit = z[0];
        for (int c = 1; c < classes; c++) {
            if (z[c] > max_logit) {
                max_logit = z[c];
            }
        }
        double sum = 0.0;
        for (int c = 0; c < classes; c++) {
            p[c] = expf(z[c] - max_logit);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++) {
            p[c] = (float)(p[c] / sum);
        }

        // -log softmax(z)[label] = log(sum exp(z - max)) - (z[label] - max)
        loss_sum += log(sum) - (double)(z[labels[n]] - max_logit);
    }
    return (float)(loss_sum / batch);
}

void softmax_cross_entropy_backward(float *dlogits, const float *probs,
                                    const uint8_t *labels, int batch, int classes)
{
    const float scale = 1.0f / (float)batch;

    for (int n = 0; n < batch; n++) {
        const float *p = probs + (size_t)n * classes;
        float *d = dlogits + (size_t)n * classes;
        for (int c = 0; c < classes; c++) {
            d[c] = p[c] * scale;
        }
        d[labels[n]] -= scale;
    }
}

int count_correct(const float *logits, const uint8_t *labels, int batch,
                  int classes)
{
    int correct = 0;

    for (int n = 0; n < batch; n++) {
        const float *z = logits + (size_t)n * classes;
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (z[c] > z[best]) {
                best = c;
            }
        }
        correct += best == labels[n];
    }
    return correct;
}
