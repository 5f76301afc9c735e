#include "dnnl_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl_debug.h>

void dnnl_set_error(Error *error, const char *call, dnnl_status_t status)
{
    error_set(error, "oneDNN call %s failed: %s", call, dnnl_status2str(status));
}

void dnnl_run(dnnl_primitive_t primitive, dnnl_stream_t stream, int arg_count,
              const dnnl_exec_arg_t *args)
{
    dnnl_status_t status = dnnl_primitive_execute(primitive, stream, arg_count, args);
    if (status == dnnl_success) {
        status = dnnl_stream_wait(stream);
    }
    if (status != dnnl_success) {
        const_dnnl_primitive_desc_t desc = NULL;
        dnnl_primitive_get_primitive_desc(primitive, &desc);
        fprintf(stderr, "oneDNN primitive %s failed to execute: %s\n",
                desc != NULL ? dnnl_impl_name(desc) : "(unknown)",
                dnnl_status2str(status));
        abort();
    }
}

dnnl_memory_t dnnl_tensor_create(const dnnl_memory_desc_t *desc,
                                 dnnl_engine_t engine, Error *error)
{
    dnnl_memory_t memory = NULL;
    DNNL_TRY(dnnl_memory_create(&memory, desc, engine, DNNL_MEMORY_ALLOCATE), error);
    return memory;
fail:
    return NULL;
}

dnnl_memory_t dnnl_wrapper_create(const dnnl_memory_desc_t *desc,
                                  dnnl_engine_t engine, Error *error)
{
    dnnl_memory_t memory = NULL;
    DNNL_TRY(dnnl_memory_create(&memory, desc, engine, DNNL_MEMORY_NONE), error);
    return memory;
fail:
    return NULL;
}

dnnl_primitive_t dnnl_reorder_create(const dnnl_memory_desc_t *from,
                                     const dnnl_memory_desc_t *to,
                                     dnnl_engine_t engine, int accumulate,
                                     Error *error)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t desc = NULL;
    dnnl_primitive_t reorder = NULL;

    if (accumulate) {
        DNNL_TRY(dnnl_primitive_attr_create(&attr), error);
        DNNL_TRY(dnnl_post_ops_create(&post_ops), error);
        DNNL_TRY(dnnl_post_ops_append_sum(post_ops, 1.0f), error);
        DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, post_ops), error);
    }
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&desc, from, engine, to, engine, attr),
             error);
    DNNL_TRY(dnnl_primitive_create(&reorder, desc), error);

fail:
    dnnl_primitive_desc_destroy(desc);
    dnnl_post_ops_destroy(post_ops);
    dnnl_primitive_attr_destroy(attr);
    return reorder;
}

int conversion_init(Conversion *conversion, const dnnl_memory_desc_t *from,
                    const dnnl_memory_desc_t *to, dnnl_engine_t engine,
                    Error *error)
{
    *conversion = (Conversion){0};
    if (dnnl_same_layout(from, to)) {
        return 0;
    }
    conversion->reorder = dnnl_reorder_create(from, to, engine, 0, error);
    conversion->target = dnnl_tensor_create(to, engine, error);
    if (conversion->reorder == NULL || conversion->target == NULL) {
        conversion_free(conversion);
        return -1;
    }
    return 0;
}

dnnl_memory_t conversion_run(const Conversion *conversion, dnnl_memory_t source,
                             dnnl_stream_t stream)
{
    if (conversion->reorder == NULL) {
        return source;
    }
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_FROM, source},
        {DNNL_ARG_TO, conversion->target},
    };
    dnnl_run(conversion->reorder, stream, 2, args);
    return conversion->target;
}

void conversion_free(Conversion *conversion)
{
    dnnl_primitive_destroy(conversion->reorder);
    dnnl_memory_destroy(conversion->target);
    *conversion = (Conversion){0};
}

const char *dnnl_impl_name(const_dnnl_primitive_desc_t primitive_desc)
{
    const char *name = NULL;
    if (dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0,
                                  &name) != dnnl_success || name == NULL) {
        return "(unknown)";
    }
    return name;
}

int dnnl_impl_rank(const_dnnl_primitive_desc_t primitive_desc)
{
    const char *name = dnnl_impl_name(primitive_desc);
    if (strncmp(name, "ref", 3) == 0) {
        return 0;
    }
    if (strstr(name, "avx512") != NULL) {
        return 3;
    }
    if (strncmp(name, "jit", 3) == 0 || strstr(name, "avx") != NULL) {
        return 2;
    }
    return 1;
}

int dnnl_same_layout(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b)
{
    return dnnl_memory_desc_equal(a, b) != 0;
}
