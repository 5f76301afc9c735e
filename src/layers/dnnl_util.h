// Helpers shared by the oneDNN-backed layers (oneDNN 2.x C API): status
// checks, owned tensors, layout conversions and implementation choice.

#ifndef SVHN_LAYERS_DNNL_UTIL_H
#define SVHN_LAYERS_DNNL_UTIL_H

#include <dnnl.h>

#include "svhn/error.h"

// Records which oneDNN call failed and jumps to the caller's `fail` label.
#define DNNL_TRY(call, error)                                                 \
    do {                                                                      \
        dnnl_status_t dnnl_try_status = (call);                               \
        if (dnnl_try_status != dnnl_success) {                                \
            dnnl_set_error((error), #call, dnnl_try_status);                  \
            goto fail;                                                        \
        }                                                                     \
    } while (0)

void dnnl_set_error(Error *error, const char *call, dnnl_status_t status);

// Runs a primitive and waits for it. A failure here (after creation
// succeeded) means out of memory inside oneDNN or a bug, and the layer
// interface has no error channel, so it prints the reason and aborts.
void dnnl_run(dnnl_primitive_t primitive, dnnl_stream_t stream, int arg_count,
              const dnnl_exec_arg_t *args);

// Creates a memory object that owns a buffer of the layout in desc.
dnnl_memory_t dnnl_tensor_create(const dnnl_memory_desc_t *desc,
                                 dnnl_engine_t engine, Error *error);

// Creates a memory object without a buffer, for a caller's array that is
// attached before each use with dnnl_memory_set_data_handle.
dnnl_memory_t dnnl_wrapper_create(const dnnl_memory_desc_t *desc,
                                  dnnl_engine_t engine, Error *error);

// Creates a reorder from one layout to another. With accumulate set it adds
// to the destination (sum post-op) instead of overwriting it.
dnnl_primitive_t dnnl_reorder_create(const dnnl_memory_desc_t *from,
                                     const dnnl_memory_desc_t *to,
                                     dnnl_engine_t engine, int accumulate,
                                     Error *error);

// A reorder into the layout a primitive expects, or nothing when the source
// already has that layout.
typedef struct {
    dnnl_primitive_t reorder;  // NULL when no conversion is needed
    dnnl_memory_t target;      // owned buffer in the expected layout, or NULL
} Conversion;

int conversion_init(Conversion *conversion, const dnnl_memory_desc_t *from,
                    const dnnl_memory_desc_t *to, dnnl_engine_t engine,
                    Error *error);

// Returns the memory that holds source's data in the expected layout,
// reordering into the owned buffer first when the layouts differ.
dnnl_memory_t conversion_run(const Conversion *conversion, dnnl_memory_t source,
                             dnnl_stream_t stream);

void conversion_free(Conversion *conversion);

// Returns the implementation name of a primitive descriptor, such as
// "jit:avx512_core" or "ref:any".
const char *dnnl_impl_name(const_dnnl_primitive_desc_t primitive_desc);

// Returns a rank for choosing between implementations of one pass, higher
// is better: AVX-512 kernels 3, other JIT or AVX kernels 2, anything else
// but a reference kernel (such as im2col + GEMM) 1, reference kernels 0.
int dnnl_impl_rank(const_dnnl_primitive_desc_t primitive_desc);

// Returns whether two memory descriptors have the same dimensions and layout.
int dnnl_same_layout(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b);

#endif
