// Writes the seed corpora of the fuzz harnesses: small valid files of every
// reader, made with the same libraries the project reads them with, plus a
// few argument lists. Usage: make-fuzz-seeds OUTPUT_DIR. Creates
// OUTPUT_DIR/{svhn_mat,idx,checkpoint,png,options}/ and fills them.

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <matio.h>
#include <png.h>
#include <zlib.h>

#include "svhn/checkpoint.h"

static const char *output_dir;

static void fail(const char *message)
{
    fprintf(stderr, "make-fuzz-seeds: %s\n", message);
    exit(1);
}

static void make_dir(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", output_dir, name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make-fuzz-seeds: cannot create %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void seed_path(char *path, size_t size, const char *corpus, const char *name)
{
    snprintf(path, size, "%s/%s/%s", output_dir, corpus, name);
}

static void write_seed(const char *corpus, const char *name, const uint8_t *bytes, size_t size)
{
    char path[4096];
    seed_path(path, sizeof path, corpus, name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(bytes, 1, size, file) != size || fclose(file) != 0) {
        fprintf(stderr, "make-fuzz-seeds: cannot write %s\n", path);
        exit(1);
    }
}

static uint8_t *read_whole_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "make-fuzz-seeds: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *bytes = malloc(length > 0 ? (size_t)length : 1);
    if (bytes == NULL || fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        fail("cannot read a temporary file");
    }
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

// --- SVHN .mat ---------------------------------------------------------

static void write_svhn_mat(const char *name, int height, int width, int count,
                           enum matio_classes label_class, int compress)
{
    char path[4096];
    seed_path(path, sizeof path, "svhn_mat", name);
    mat_t *mat = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    if (mat == NULL) {
        fail("Mat_CreateVer failed");
    }

    size_t pixel_count = (size_t)height * width * 3 * count;
    uint8_t *pixels = malloc(pixel_count);
    for (size_t i = 0; i < pixel_count; i++) {
        pixels[i] = (uint8_t)(i * 37);
    }
    size_t x_dims[4] = {(size_t)height, (size_t)width, 3, (size_t)count};
    matvar_t *x = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, x_dims, pixels,
                                MAT_F_DONT_COPY_DATA);

    double labels_double[16];
    uint8_t labels_uint8[16];
    for (int i = 0; i < count; i++) {
        labels_double[i] = 1 + i % 10;
        labels_uint8[i] = (uint8_t)(1 + i % 10);
    }
    size_t y_dims[2] = {(size_t)count, 1};
    matvar_t *y = label_class == MAT_C_DOUBLE
                      ? Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, y_dims,
                                      labels_double, MAT_F_DONT_COPY_DATA)
                      : Mat_VarCreate("y", MAT_C_UINT8, MAT_T_UINT8, 2, y_dims,
                                      labels_uint8, MAT_F_DONT_COPY_DATA);
    enum matio_compression compression = compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
    if (x == NULL || y == NULL || Mat_VarWrite(mat, x, compression) != 0 ||
        Mat_VarWrite(mat, y, compression) != 0) {
        fail("writing a .mat seed failed");
    }
    Mat_VarFree(x);
    Mat_VarFree(y);
    Mat_Close(mat);
    free(pixels);
}

static void write_mat_seeds(void)
{
    make_dir("svhn_mat");
    write_svhn_mat("plain-double.mat", 4, 3, 2, MAT_C_DOUBLE, 0);
    write_svhn_mat("compressed-double.mat", 4, 3, 2, MAT_C_DOUBLE, 1);
    write_svhn_mat("plain-uint8.mat", 2, 2, 5, MAT_C_UINT8, 0);
    write_svhn_mat("compressed-uint8.mat", 8, 8, 3, MAT_C_UINT8, 1);
}

// --- idx -----------------------------------------------------------------

static size_t put_u32_be(uint8_t *bytes, uint32_t value)
{
    bytes[0] = (uint8_t)(value >> 24);
    bytes[1] = (uint8_t)(value >> 16);
    bytes[2] = (uint8_t)(value >> 8);
    bytes[3] = (uint8_t)value;
    return 4;
}

static size_t gzip_bytes(const uint8_t *data, size_t size, uint8_t *out, size_t out_size)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        fail("deflateInit2 failed");
    }
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    stream.next_out = out;
    stream.avail_out = (uInt)out_size;
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
        fail("deflate failed");
    }
    size_t written = out_size - stream.avail_out;
    deflateEnd(&stream);
    return written;
}

// One idx seed in the harness's input form: flags, image length, image
// file, label file. pregzip compresses the parts in the seed itself.
static void write_idx_seed(const char *name, uint8_t flags, int pregzip, uint32_t count,
                           uint32_t rows, uint32_t cols)
{
    uint8_t images[1024], labels[256];
    size_t images_size = 0, labels_size = 0;
    images_size += put_u32_be(images, 0x00000803u);
    images_size += put_u32_be(images + images_size, count);
    images_size += put_u32_be(images + images_size, rows);
    images_size += put_u32_be(images + images_size, cols);
    for (uint32_t i = 0; i < count * rows * cols; i++) {
        images[images_size++] = (uint8_t)(i * 13);
    }
    labels_size += put_u32_be(labels, 0x00000801u);
    labels_size += put_u32_be(labels + labels_size, count);
    for (uint32_t i = 0; i < count; i++) {
        labels[labels_size++] = (uint8_t)(i % 10);
    }

    uint8_t seed[4096];
    uint8_t *images_part = images, *labels_part = labels;
    uint8_t images_gz[1024], labels_gz[1024];
    if (pregzip) {
        images_size = gzip_bytes(images, images_size, images_gz, sizeof images_gz);
        labels_size = gzip_bytes(labels, labels_size, labels_gz, sizeof labels_gz);
        images_part = images_gz;
        labels_part = labels_gz;
    }
    seed[0] = flags;
    seed[1] = (uint8_t)images_size;
    seed[2] = (uint8_t)(images_size >> 8);
    memcpy(seed + 3, images_part, images_size);
    memcpy(seed + 3 + images_size, labels_part, labels_size);
    write_seed("idx", name, seed, 3 + images_size + labels_size);
}

static void write_idx_seeds(void)
{
    make_dir("idx");
    write_idx_seed("plain", 0, 0, 2, 3, 3);
    write_idx_seed("harness-gzip-both", 3, 0, 3, 4, 2);
    write_idx_seed("harness-gzip-images", 1, 0, 1, 5, 5);
    write_idx_seed("gzip-in-seed", 0, 1, 4, 3, 4);
}

// --- checkpoint ----------------------------------------------------------

static void write_checkpoint_seed(const char *name, ModelKind model, Shape shape,
                                  OptimizerKind optimizer_kind)
{
    Error error = {{0}};
    Network *network = model_create(model, shape, DATASET_CLASSES, 2, BACKEND_REFERENCE, &error);
    if (network == NULL) {
        fail(error.message);
    }
    for (size_t i = 0; i < network->param_count; i++) {
        network->params[i] = 0.01f * (float)(i % 101) - 0.5f;
    }
    Optimizer optimizer;
    OptimizerConfig config = optimizer_default_config(optimizer_kind);
    if (optimizer_init(&optimizer, &config, network->param_count, &error) != 0) {
        fail(error.message);
    }

    int order[6] = {3, 1, 4, 0, 5, 2};
    EpochMetrics history[1] = {{.epoch = 1, .train_loss = 1.25, .test_accuracy = 0.5}};
    TrainProgress progress = {
        .epochs_done = 1,
        .steps_in_epoch = 1,
        .steps_done = 4,
        .order = order,
        .order_count = 6,
        .history = history,
    };
    rng_seed(&progress.shuffle_rng, 7);
    for (int c = 0; c < shape.channels; c++) {
        progress.normalization.mean[c] = 0.5f;
        progress.normalization.std[c] = 0.25f;
    }
    CheckpointSource source = {
        .model = model,
        .classes = DATASET_CLASSES,
        .batch_size = 2,
        .seed = 3,
        .network = network,
        .optimizer = &optimizer,
        .progress = &progress,
    };

    char path[4096];
    seed_path(path, sizeof path, "checkpoint", "tmp.ckpt");
    if (checkpoint_save(path, &source, &error) != 0) {
        fail(error.message);
    }
    optimizer_free(&optimizer);
    network_free(network);

    // Two seeds per file: flag 0 with the file as written, flag 1 without
    // the CRC trailer, which the harness then appends.
    size_t size;
    uint8_t *bytes = read_whole_file(path, &size);
    remove(path);
    uint8_t *seed = malloc(size + 1);
    seed[0] = 0;
    memcpy(seed + 1, bytes, size);
    char seed_name[128];
    snprintf(seed_name, sizeof seed_name, "%s-as-written", name);
    write_seed("checkpoint", seed_name, seed, size + 1);
    seed[0] = 1;
    snprintf(seed_name, sizeof seed_name, "%s-crc-by-harness", name);
    write_seed("checkpoint", seed_name, seed, size + 1 - 4);
    free(seed);
    free(bytes);
}

static void write_checkpoint_seeds(void)
{
    make_dir("checkpoint");
    write_checkpoint_seed("lnet-gray-4x4-sgd", MODEL_LNET, (Shape){1, 4, 4}, OPTIMIZER_SGD);
    write_checkpoint_seed("mlp-gray-1x1-adam", MODEL_MLP, (Shape){1, 1, 1}, OPTIMIZER_ADAM);
}

// --- PNG -----------------------------------------------------------------

static void write_png_seed(const char *name, int width, int height, int color_type,
                           int bit_depth, int interlace, int with_trns)
{
    char path[4096];
    seed_path(path, sizeof path, "png", name);
    FILE *file = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (file == NULL || png == NULL || info == NULL || setjmp(png_jmpbuf(png))) {
        fail("writing a PNG seed failed");
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
        png_set_PLTE(png, info, palette, 4);
        if (with_trns) {
            png_byte alpha[2] = {0, 128};
            png_set_tRNS(png, info, alpha, 2, NULL);
        }
    }
    png_write_info(png, info);

    png_size_t row_bytes = png_get_rowbytes(png, info);
    png_bytep row = calloc(row_bytes, 1);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (int y = 0; y < height; y++) {
            for (png_size_t i = 0; i < row_bytes; i++) {
                row[i] = (png_byte)((i * 31 + (size_t)y * 17) & (bit_depth < 8 ? 0x55 : 0xff));
            }
            if (color_type == PNG_COLOR_TYPE_PALETTE && bit_depth == 8) {
                for (png_size_t i = 0; i < row_bytes; i++) {
                    row[i] &= 3;
                }
            }
            png_write_row(png, row);
        }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(file);
    free(row);
}

static void write_png_seeds(void)
{
    make_dir("png");
    write_png_seed("gray1.png", 5, 3, PNG_COLOR_TYPE_GRAY, 1, 0, 0);
    write_png_seed("gray8.png", 7, 9, PNG_COLOR_TYPE_GRAY, 8, 0, 0);
    write_png_seed("gray-alpha8.png", 4, 4, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0);
    write_png_seed("rgb8.png", 6, 5, PNG_COLOR_TYPE_RGB, 8, 0, 0);
    write_png_seed("rgba16.png", 3, 3, PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0);
    write_png_seed("palette-trns.png", 8, 2, PNG_COLOR_TYPE_PALETTE, 8, 0, 1);
    write_png_seed("rgb8-adam7.png", 9, 9, PNG_COLOR_TYPE_RGB, 8, 1, 0);
}

// --- command-line options --------------------------------------------------

static void write_options_seed(const char *name, const char *const *arguments, int count)
{
    uint8_t seed[1024];
    size_t size = 0;
    for (int i = 0; i < count; i++) {
        size_t length = strlen(arguments[i]);
        memcpy(seed + size, arguments[i], length);
        size += length;
        if (i + 1 < count) {
            seed[size++] = '\0';
        }
    }
    write_seed("options", name, seed, size);
}

static void write_options_seeds(void)
{
    make_dir("options");
    const char *const every[] = {
        "--model", "mlp", "--backend", "ref", "--dataset", "mnist", "--data", "d",
        "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.5", "--weight-decay", "1e-4",
        "--epochs", "3", "--batch-size", "64", "--threads", "2", "--seed", "18446744073709551615",
        "--train-limit", "100", "--test-limit", "50", "--log", "l.csv", "--prefetch", "4",
        "--save", "s.ckpt", "--save-every", "10", "--resume", "r.ckpt", "--plot", "p.png",
    };
    write_options_seed("every-option", every, sizeof every / sizeof every[0]);
    const char *const equals[] = {"--model=lnet", "--lr=1e-3", "--compute-only", "--prefetch=0"};
    write_options_seed("equals-form", equals, 4);
    const char *const help[] = {"--help"};
    write_options_seed("help", help, 1);
    const char *const invalid[] = {"--epochs", "0", "extra"};
    write_options_seed("invalid", invalid, 3);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "Usage: make-fuzz-seeds OUTPUT_DIR\n");
        return 2;
    }
    output_dir = argv[1];
    if (mkdir(output_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make-fuzz-seeds: cannot create %s: %s\n", output_dir, strerror(errno));
        return 1;
    }
    write_mat_seeds();
    write_idx_seeds();
    write_checkpoint_seeds();
    write_png_seeds();
    write_options_seeds();
    return 0;
}
