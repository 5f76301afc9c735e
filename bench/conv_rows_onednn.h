// oneDNN's convolution forward-training and backward-weights primitives
// (oneDNN 2.x C API) for the shape of the conv_rows kernels, as the baseline
// of conv_rows_probe.

#ifndef SVHN_BENCH_CONV_ROWS_ONEDNN_H
#define SVHN_BENCH_CONV_ROWS_ONEDNN_H

typedef struct ConvRowsOnednn ConvRowsOnednn;

// Creates both primitives for a batch of 3x32x32 images. src is NCHW on the
// caller's `in` and bias on the caller's `bias`, both read at every run.
// oneDNN picks the layouts of the weights, dst and diff_dst
// (format_tag_any), and weight (6, 3, 5, 5) and dout (batch, 6, 32, 32) are
// reordered into them once, here. Prints the failing call and returns NULL
// on an error.
ConvRowsOnednn *conv_rows_onednn_create(int batch, float *in, const float *weight,
                                        float *bias, const float *dout);
void conv_rows_onednn_free(ConvRowsOnednn *conv);

// Run one primitive and wait for it, with no reorder or allocation, so
// the probe times these calls.
void conv_rows_onednn_forward(ConvRowsOnednn *conv);
void conv_rows_onednn_backward_weights(ConvRowsOnednn *conv);

// Copy the last results out in plain layouts: out (batch, 6, 32, 32), dweight
// (6, 3, 5, 5) and dbias (6). Return -1 on an error.
int conv_rows_onednn_read_out(ConvRowsOnednn *conv, float *out);
int conv_rows_onednn_read_gradients(ConvRowsOnednn *conv, float *dweight, float *dbias);

// Implementation names oneDNN chose, such as "jit:avx512_core".
const char *conv_rows_onednn_forward_impl(const ConvRowsOnednn *conv);
const char *conv_rows_onednn_backward_weights_impl(const ConvRowsOnednn *conv);

#endif
