// Bad input that declares more data than the file can contain is rejected
// before anything is allocated for it, with the declared and available
// sizes in the message. The programs turn bad input files into a one-line
// message and exit status 1. docs/robustness.md lists these cases.

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <zlib.h>

#include "data_test_files.h"
extern "C" {
#include "image.h"  // a C header without its own extern "C"
}
#include "svhn/checkpoint.h"
#include "svhn/dataset.h"

namespace {

// Byte offsets in an uncompressed MAT5 file whose first variable is X
// (4 dims, name "X"), as matio 1.5.23 writes it. The element tag is at 128,
// the array flags at 136 with the class code at 144, the dims tag at 152
// and the dims at 160.
const size_t kFirstElement = 128;
const size_t kClassCode = 144;
const size_t kDimsTagSize = 156;
const size_t kDims = 160;

uint32_t get_u32_le(const std::vector<uint8_t> &bytes, size_t offset)
{
    return static_cast<uint32_t>(bytes[offset]) | static_cast<uint32_t>(bytes[offset + 1]) << 8 |
           static_cast<uint32_t>(bytes[offset + 2]) << 16 |
           static_cast<uint32_t>(bytes[offset + 3]) << 24;
}

void put_u32_le(std::vector<uint8_t> &bytes, size_t offset, uint32_t value)
{
    for (int i = 0; i < 4; i++) {
        bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
    }
}

void append_u32_le(std::vector<uint8_t> &bytes, uint32_t value)
{
    for (int i = 0; i < 4; i++) {
        bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
}

std::string mat_error(const std::string &path)
{
    Dataset dataset;
    Error error = {};
    EXPECT_NE(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0);
    EXPECT_EQ(dataset.images, nullptr);
    return error.message;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// An uncompressed SVHN file with X of 4x4x3x2 and y of 2 labels, read back
// as bytes after checking the offsets the tests patch.
std::vector<uint8_t> small_uncompressed_mat(const std::string &path)
{
    write_mat(path, {svhn_images(4, 4, 3, 2), svhn_labels({1, 2})}, false);
    std::vector<uint8_t> bytes = read_file_bytes(path);
    EXPECT_EQ(get_u32_le(bytes, kFirstElement), 14u) << "X is not an miMATRIX at byte 128";
    EXPECT_EQ(bytes[kClassCode], 9) << "X's class code is not uint8 at byte 144";
    EXPECT_EQ(get_u32_le(bytes, kDimsTagSize), 16u) << "X's dims tag is not at byte 152";
    EXPECT_EQ(get_u32_le(bytes, kDims + 12), 2u) << "X's count is not at byte 172";
    return bytes;
}

// A MAT5 file with one miCOMPRESSED element that inflates to `inner`.
std::vector<uint8_t> compressed_element_mat(const std::string &header_source,
                                            const std::vector<uint8_t> &inner)
{
    std::vector<uint8_t> bytes = read_file_bytes(header_source);
    bytes.resize(kFirstElement);
    uLongf compressed_size = compressBound(static_cast<uLong>(inner.size()));
    std::vector<uint8_t> compressed(compressed_size);
    EXPECT_EQ(compress(compressed.data(), &compressed_size, inner.data(),
                       static_cast<uLong>(inner.size())),
              Z_OK);
    compressed.resize(compressed_size);
    append_u32_le(bytes, 15);
    append_u32_le(bytes, static_cast<uint32_t>(compressed.size()));
    bytes.insert(bytes.end(), compressed.begin(), compressed.end());
    return bytes;
}

}  // namespace

TEST(MatLimits, XDimsPastElementRejected)
{
    TempDir dir;
    std::string path = dir.file("x_dims.mat");
    std::vector<uint8_t> bytes = small_uncompressed_mat(path);
    put_u32_le(bytes, kDims + 12, 100000);  // N: 2 -> 100,000 images
    write_file_bytes(path, bytes);

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "variable X (element at byte 128): the dims declare 4800000 "
                                  "elements but the element has only")) << message;
}

TEST(MatLimits, YDimsPastElementRejected)
{
    TempDir dir;
    std::string path = dir.file("y_dims.mat");
    write_mat(path, {svhn_images(1, 1, 3, 200), svhn_labels({1, 2, 3, 4}, MAT_C_UINT8)}, false);
    std::vector<uint8_t> bytes = read_file_bytes(path);

    // y follows X, and its dims start 32 bytes into its element, after the
    // tag, the array flags and the dims tag. Declaring 200 labels matches X
    // but not y's data.
    size_t y_element = kFirstElement + 8 + (get_u32_le(bytes, kFirstElement + 4) + 7) / 8 * 8;
    ASSERT_LT(y_element + 40, bytes.size());
    ASSERT_EQ(get_u32_le(bytes, y_element + 32), 4u) << "y's first dim is not where expected";
    put_u32_le(bytes, y_element + 32, 200);
    write_file_bytes(path, bytes);

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "variable y (element at byte " + std::to_string(y_element) +
                                      "): the dims declare 200 elements but the element has "
                                      "only")) << message;
}

TEST(MatLimits, StructClassRejected)
{
    TempDir dir;
    std::string path = dir.file("struct.mat");
    std::vector<uint8_t> bytes = small_uncompressed_mat(path);
    bytes[kClassCode] = 2;  // mxSTRUCT_CLASS
    write_file_bytes(path, bytes);

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "variable X (element at byte 128): unsupported MATLAB class "
                                  "code 2")) << message;
}

TEST(MatLimits, MalformedDimsTagRejected)
{
    TempDir dir;
    std::string path = dir.file("dims_tag.mat");
    std::vector<uint8_t> bytes = small_uncompressed_mat(path);
    put_u32_le(bytes, kDimsTagSize, 0x7ffffff1);  // not a whole number of int32 values
    write_file_bytes(path, bytes);

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "element at byte 128: invalid variable header")) << message;
}

TEST(MatLimits, CompressedElementOverMaximumRejected)
{
    TempDir dir;
    std::string source = dir.file("source.mat");
    small_uncompressed_mat(source);
    std::vector<uint8_t> inner;
    append_u32_le(inner, 14);
    append_u32_le(inner, 0xfffffff0u);  // declares 4 GiB
    inner.resize(64, 0);
    std::string path = dir.file("huge_inner.mat");
    write_file_bytes(path, compressed_element_mat(source, inner));

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "the compressed element declares 4294967280 bytes, more than "
                                  "the maximum of 2147483647")) << message;
}

TEST(MatLimits, CompressedDataPastInnerTagRejected)
{
    TempDir dir;
    std::string source = dir.file("source.mat");
    small_uncompressed_mat(source);
    std::vector<uint8_t> inner;
    append_u32_le(inner, 14);
    append_u32_le(inner, 16);  // declares 16 bytes, but 1 MiB follows
    inner.resize(8 + (1u << 20), 0);
    std::string path = dir.file("long_stream.mat");
    write_file_bytes(path, compressed_element_mat(source, inner));

    std::string message = mat_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "compressed data inflates to more than the 24 bytes its "
                                  "inner tag declares")) << message;
}

TEST(IdxLimits, GzipDeclaringTooMuchRejected)
{
    TempDir dir;
    std::string images = dir.file("images.gz");
    // 1,000,000 images of 100x100 are 10^10 bytes, which no gzip file of a
    // few dozen bytes can contain.
    write_gzip_bytes(images, idx_bytes(0x00000803, {1000000, 100, 100}, {1, 2, 3}));
    std::string labels = dir.file("labels");
    write_file_bytes(labels, idx_bytes(0x00000801, {1}, {1}));

    Dataset dataset;
    Error error = {};
    ASSERT_NE(dataset_load_idx(&dataset, images.c_str(), labels.c_str(), &error), 0);
    std::string message = error.message;
    EXPECT_TRUE(contains(message, images)) << message;
    EXPECT_TRUE(contains(message, "the header declares 10000000000 bytes of pixels but the gzip "
                                  "file of")) << message;
}

namespace {

std::vector<uint8_t> png_chunk(const char *type, const std::vector<uint8_t> &data)
{
    std::vector<uint8_t> chunk;
    put_big_endian_u32(chunk, static_cast<uint32_t>(data.size()));
    chunk.insert(chunk.end(), type, type + 4);
    chunk.insert(chunk.end(), data.begin(), data.end());
    uLong crc = crc32(0L, chunk.data() + 4, static_cast<uInt>(chunk.size() - 4));
    put_big_endian_u32(chunk, static_cast<uint32_t>(crc));
    return chunk;
}

// A PNG of the declared 8-bit gray size whose image data is one short
// zlib stream, far less than the size needs.
std::vector<uint8_t> png_declaring(uint32_t width, uint32_t height)
{
    std::vector<uint8_t> bytes = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::vector<uint8_t> header;
    put_big_endian_u32(header, width);
    put_big_endian_u32(header, height);
    header.insert(header.end(), {8, 0, 0, 0, 0});  // 8-bit gray, no interlace
    std::vector<uint8_t> ihdr = png_chunk("IHDR", header);
    std::vector<uint8_t> idat = png_chunk("IDAT", {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    std::vector<uint8_t> iend = png_chunk("IEND", {});
    bytes.insert(bytes.end(), ihdr.begin(), ihdr.end());
    bytes.insert(bytes.end(), idat.begin(), idat.end());
    bytes.insert(bytes.end(), iend.begin(), iend.end());
    return bytes;
}

// A valid 8-bit gray PNG of width x height pixels, all of value 100.
std::vector<uint8_t> png_gray(uint32_t width, uint32_t height)
{
    std::vector<uint8_t> rows;
    for (uint32_t y = 0; y < height; y++) {
        rows.push_back(0);  // filter type None
        rows.insert(rows.end(), width, 100);
    }
    uLongf compressed_size = compressBound(static_cast<uLong>(rows.size()));
    std::vector<uint8_t> compressed(compressed_size);
    EXPECT_EQ(compress(compressed.data(), &compressed_size, rows.data(),
                       static_cast<uLong>(rows.size())), Z_OK);
    compressed.resize(compressed_size);

    std::vector<uint8_t> bytes = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::vector<uint8_t> header;
    put_big_endian_u32(header, width);
    put_big_endian_u32(header, height);
    header.insert(header.end(), {8, 0, 0, 0, 0});  // 8-bit gray, no interlace
    for (const std::vector<uint8_t> &chunk :
         {png_chunk("IHDR", header), png_chunk("IDAT", compressed), png_chunk("IEND", {})}) {
        bytes.insert(bytes.end(), chunk.begin(), chunk.end());
    }
    return bytes;
}

std::string png_error(const std::string &path)
{
    Image image;
    Error error = {};
    EXPECT_NE(image_read_png(path.c_str(), &image, &error), 0);
    EXPECT_EQ(image.pixels, nullptr);
    return error.message;
}

}  // namespace

TEST(PngLimits, TooManyPixelsRejected)
{
    TempDir dir;
    std::string path = dir.file("5000x5000.png");
    write_file_bytes(path, png_declaring(5000, 5000));

    std::string message = png_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "PNG of 5000x5000 pixels is too large: at most 16777216 "
                                  "pixels")) << message;
}

TEST(PngLimits, SideOverLimitRejected)
{
    TempDir dir;
    std::string path = dir.file("9000x1.png");
    write_file_bytes(path, png_declaring(9000, 1));

    std::string message = png_error(path);
    EXPECT_TRUE(contains(message, path + ": invalid or unsupported PNG")) << message;
    EXPECT_TRUE(contains(message, "Invalid IHDR data")) << message;  // libpng 1.6 message
}

TEST(PngLimits, DataPastFileSizeRejected)
{
    TempDir dir;
    std::string path = dir.file("4000x4000.png");
    std::vector<uint8_t> bytes = png_declaring(4000, 4000);
    write_file_bytes(path, bytes);

    std::string message = png_error(path);
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, "PNG header declares 4000x4000 pixels (16000000 bytes of "
                                  "image data) but the " +
                                      std::to_string(bytes.size()) + "-byte file cannot "
                                                                      "contain that much"))
        << message;
}

TEST(PngRead, TruncatedFileNamed)
{
    TempDir dir;
    const std::vector<uint8_t> whole = png_gray(16, 16);
    const size_t after_header = 8 + 25;  // the signature and the IHDR chunk
    for (size_t length : {after_header, (after_header + whole.size()) / 2, whole.size() - 12}) {
        std::string path = dir.file("cut.png");
        write_file_bytes(path, std::vector<uint8_t>(whole.begin(), whole.begin() + length));
        std::string message = png_error(path);
        EXPECT_TRUE(contains(message, path + ": PNG file truncated or corrupt: the file ends "
                                             "after " + std::to_string(length) + " bytes"))
            << length << ": " << message;
    }
}

// --- the programs ------------------------------------------------------

namespace {

struct ProgramRun {
    int exit_status;
    std::string output;  // stdout and stderr together
};

ProgramRun run(const std::string &command)
{
    FILE *pipe = popen((command + " 2>&1").c_str(), "r");
    ProgramRun result = {-1, ""};
    if (pipe == nullptr) {
        return result;
    }
    std::array<char, 4096> buffer;
    size_t read;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.output.append(buffer.data(), read);
    }
    int status = pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

int count_lines(const std::string &text)
{
    int lines = 0;
    for (char c : text) {
        lines += c == '\n';
    }
    return lines;
}

// Saves an LNet checkpoint for 1x8x8 inputs, enough for svhn-predict to
// start and read its images.
void save_small_model(const std::string &path)
{
    Error error = {};
    const Shape shape = {1, 8, 8};
    Network *network = model_create(MODEL_LNET, shape, DATASET_CLASSES, 1, BACKEND_REFERENCE,
                                    &error);
    ASSERT_NE(network, nullptr) << error.message;
    for (size_t i = 0; i < network->param_count; i++) {
        network->params[i] = 0.01f * static_cast<float>(i % 7);
    }
    Optimizer optimizer;
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_SGD);
    ASSERT_EQ(optimizer_init(&optimizer, &config, network->param_count, &error), 0);
    int order[2] = {1, 0};
    TrainProgress progress = {};
    progress.order = order;
    progress.order_count = 2;
    progress.normalization.mean[0] = 0.5f;
    progress.normalization.std[0] = 0.25f;
    CheckpointSource source = {};
    source.model = MODEL_LNET;
    source.classes = DATASET_CLASSES;
    source.batch_size = 1;
    source.network = network;
    source.optimizer = &optimizer;
    source.progress = &progress;
    int status = checkpoint_save(path.c_str(), &source, &error);
    optimizer_free(&optimizer);
    network_free(network);
    ASSERT_EQ(status, 0) << error.message;
}

// The header svhn-train --log writes, with its line end.
const std::string kLogHeader =
    "epoch,train_loss,train_acc,test_loss,test_acc,examples_per_sec,seconds,lr\n";

// Writes `text` to the log file `csv` in `dir` and runs svhn-plot on it.
ProgramRun plot_log(const TempDir &dir, const std::string &csv, const std::string &text)
{
    write_file_bytes(csv, std::vector<uint8_t>(text.begin(), text.end()));
    return run(std::string(SVHN_PLOT_PATH) + " " + csv + " " + dir.file("curves.png"));
}

}  // namespace

TEST(BadInputCli, TrainCorruptMatExitsOne)
{
    TempDir dir;
    write_mat(dir.file("test_32x32.mat"), {svhn_images(32, 32, 3, 4), svhn_labels({1, 2, 3, 4})},
              true);
    std::string train = dir.file("train_32x32.mat");
    write_mat(train, {svhn_images(32, 32, 3, 8), svhn_labels({1, 2, 3, 4, 5, 6, 7, 8})}, true);
    std::vector<uint8_t> bytes = read_file_bytes(train);
    bytes.resize(bytes.size() / 2);
    write_file_bytes(train, bytes);

    ProgramRun result = run(std::string(SVHN_TRAIN_PATH) + " --data " + dir.path() +
                            " --epochs 1");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-train: " + train + ": variable X")) << result.output;
    EXPECT_TRUE(contains(result.output, "file truncated")) << result.output;
}

TEST(BadInputCli, TrainDataFileIsDirectoryExitsOne)
{
    TempDir dir;
    const std::string train = dir.file("train_32x32.mat");
    ASSERT_EQ(mkdir(train.c_str(), 0755), 0);

    ProgramRun result = run(std::string(SVHN_TRAIN_PATH) + " --data " + dir.path() +
                            " --epochs 1");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-train: " + train + ": exists but is not a regular "
                                        "file (it is a directory)")) << result.output;
}

TEST(BadInputCli, TrainTruncatedIdxExitsOne)
{
    TempDir dir;
    std::string images = dir.file("train-images-idx3-ubyte");
    write_file_bytes(images, idx_bytes(0x00000803, {3, 4, 4}, idx_test_images(2, 4, 4)));
    write_file_bytes(dir.file("train-labels-idx1-ubyte"), idx_bytes(0x00000801, {3}, {1, 2, 3}));

    ProgramRun result = run(std::string(SVHN_TRAIN_PATH) + " --data " + dir.path() +
                            " --epochs 1");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-train: " + images + ": file truncated or corrupt"))
        << result.output;
}

TEST(BadInputCli, TrainResumeFromTextFileExitsOne)
{
    TempDir dir;
    write_mat(dir.file("train_32x32.mat"), {svhn_images(8, 8, 3, 4), svhn_labels({1, 2, 3, 4})},
              true);
    write_mat(dir.file("test_32x32.mat"), {svhn_images(8, 8, 3, 2), svhn_labels({5, 6})}, true);
    std::string resume = dir.file("notes.txt");
    write_file_bytes(resume, {'n', 'o', 't', 'e', 's', ' ', 'a', 'n', 'd', ' ', 'm', 'o', 'r',
                              'e', ' ', 't', 'e', 'x', 't', '\n'});

    ProgramRun result = run(std::string(SVHN_TRAIN_PATH) + " --data " + dir.path() +
                            " --epochs 1 --resume " + resume);
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-train: cannot resume: " + resume +
                                            ": not a checkpoint: wrong magic number"))
        << result.output;
}

TEST(BadInputCli, PredictOversizedPngExitsOne)
{
    TempDir dir;
    std::string model = dir.file("model.ckpt");
    save_small_model(model);
    std::string image = dir.file("huge.png");
    write_file_bytes(image, png_declaring(5000, 5000));

    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model + " " +
                            image);
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + image + ": PNG of 5000x5000 pixels is "
                                                                   "too large"))
        << result.output;
    EXPECT_TRUE(contains(result.output, "1 of 1 images failed")) << result.output;
}

TEST(BadInputCli, PredictCorruptMatEntryExitsOne)
{
    TempDir dir;
    std::string model = dir.file("model.ckpt");
    save_small_model(model);
    std::string mat = dir.file("digits.mat");
    std::vector<uint8_t> bytes = small_uncompressed_mat(mat);
    put_u32_le(bytes, kDims + 12, 100000);
    write_file_bytes(mat, bytes);

    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model + " " +
                            mat + ":0");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ": variable X (element at byte "
                                                                 "128): the dims declare 4800000 "
                                                                 "elements"))
        << result.output;
}

TEST(BadInputCli, PredictDirectoryAsImageExitsOne)
{
    TempDir dir;
    std::string model = dir.file("model.ckpt");
    save_small_model(model);

    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model + " " +
                            dir.path());
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + dir.path() + ": not a regular file "
                                        "(it is a directory)")) << result.output;
    EXPECT_FALSE(contains(result.output, "PNG signature")) << result.output;
}

TEST(BadInputCli, PredictInvalidMatIndexNamed)
{
    TempDir dir;
    std::string model = dir.file("model.ckpt");
    save_small_model(model);
    std::string mat = dir.file("digits.mat");
    write_mat(mat, {svhn_images(8, 8, 3, 5), svhn_labels({1, 2, 3, 4, 5})}, true);
    // A PNG whose own name has the FILE.mat:TEXT form is still read as a PNG.
    std::string png_with_colon = dir.file("digits.mat:x");
    write_file_bytes(png_with_colon, png_gray(8, 8));

    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model + " '" +
                            mat + ":abc' '" + mat + ":' '" + mat + ":99999999999999999999' '" +
                            mat + ":+3' '" + mat + ": 3' '" + mat + ":-1' '" + mat + ":3' '" +
                            png_with_colon + "'");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ":abc: invalid example index "
                                        "'abc': expected an integer in 0..4, written in digits "
                                        "only\n"))
        << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ":: invalid example index '': "
                                        "expected an integer in 0..4")) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ":99999999999999999999: "
                                        "invalid example index '99999999999999999999'"))
        << result.output;
    // Only plain decimal digits make an index, although strtol would also
    // take a sign or leading white space.
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ":+3: invalid example index "
                                        "'+3'")) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ": 3: invalid example index "
                                        "' 3'")) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + mat + ":-1: invalid example index "
                                        "'-1'")) << result.output;
    EXPECT_TRUE(contains(result.output, mat + ":3: class ")) << result.output;
    EXPECT_TRUE(contains(result.output, png_with_colon + ": class ")) << result.output;
    EXPECT_TRUE(contains(result.output, "6 of 8 images failed")) << result.output;
}

TEST(BadInputCli, PredictIndexOnNonMatFileNamed)
{
    TempDir dir;
    std::string model = dir.file("model.ckpt");
    save_small_model(model);
    std::string idx = dir.file("t10k-images-idx3-ubyte");
    write_file_bytes(idx, idx_bytes(0x00000803, {2, 8, 8}, idx_test_images(2, 8, 8)));

    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model + " '" +
                            idx + ":1' '" + dir.file("absent") + ":1'");
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + idx + ":1: only SVHN .mat files take "
                                        "an example index (FILE.mat:N), and " + idx +
                                        " does not end in .mat\n"))
        << result.output;
    // When the part before the ':' does not exist either, the whole argument
    // is a PNG path that is missing.
    EXPECT_TRUE(contains(result.output, "svhn-predict: " + dir.file("absent") + ":1: cannot "
                                        "open the image")) << result.output;
    EXPECT_FALSE(contains(result.output, idx + ":1: cannot open")) << result.output;
}

TEST(BadInputCli, PredictWithoutModelFileExitsTwo)
{
    ProgramRun result = run(std::string(SVHN_PREDICT_PATH) + " image.png");
    EXPECT_EQ(result.exit_status, 2) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-predict: expected --model-file PATH and at least "
                                        "one image")) << result.output;
}

TEST(BadInputCli, EvalMissingModelFileExitsOne)
{
    TempDir dir;
    std::string model = dir.file("absent.ckpt");
    ProgramRun result = run(std::string(SVHN_EVAL_PATH) + " --model-file " + model + " --data " +
                            dir.path());
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, model + ": cannot open the checkpoint: No such file"))
        << result.output;
}

TEST(BadInputCli, EvalWithoutModelFileExitsTwo)
{
    ProgramRun result = run(std::string(SVHN_EVAL_PATH) + " --data /tmp");
    EXPECT_EQ(result.exit_status, 2) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-eval: --model-file PATH is required"))
        << result.output;
}

TEST(BadInputCli, PlotWrongArgumentCountExitsTwo)
{
    ProgramRun result = run(std::string(SVHN_PLOT_PATH) + " only-one.csv");
    EXPECT_EQ(result.exit_status, 2) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-plot: expected 2 arguments, LOG.csv and OUTPUT.png, "
                                        "got 1")) << result.output;
}

TEST(BadInputCli, PlotNamesBadOption)
{
    const struct {
        std::string arguments;
        std::string message;
    } cases[] = {
        {"--bogus x y", "unknown option '--bogus'"},
        {"-x log.csv out.png", "unknown option '-x'"},
        {"--help=yes log.csv out.png", "option --help takes no value"},
    };
    for (const auto &c : cases) {
        ProgramRun result = run(std::string(SVHN_PLOT_PATH) + " " + c.arguments);
        EXPECT_EQ(result.exit_status, 2) << c.arguments;
        EXPECT_TRUE(contains(result.output, "svhn-plot: " + c.message + "; see --help"))
            << c.arguments << ": " << result.output;
    }
}

// make-svhn also renames its file into place, after reading it back.
TEST(BadInputCli, MakeSvhnOutputChecked)
{
    TempDir dir;
    ProgramRun to_device = run(std::string(MAKE_SVHN_PATH) + " --count 5 --out /dev/null");
    EXPECT_EQ(to_device.exit_status, 1) << to_device.output;
    EXPECT_TRUE(contains(to_device.output, "make-svhn: /dev/null: the --out file exists and is "
                                           "not a regular file")) << to_device.output;
    struct stat info;
    ASSERT_EQ(stat("/dev/null", &info), 0);
    EXPECT_TRUE(S_ISCHR(info.st_mode));

    const std::string out = dir.file("small.mat");
    ProgramRun written = run(std::string(MAKE_SVHN_PATH) + " --count 5 --out " + out);
    EXPECT_EQ(written.exit_status, 0) << written.output;
    ProgramRun listing = run("ls " + dir.path());
    EXPECT_FALSE(contains(listing.output, ".tmp")) << listing.output;
}

// svhn-plot renames the finished PNG over its output, so an output that is
// the log itself, a symbolic link or a device is rejected before drawing.
TEST(BadInputCli, PlotOutputNotReplaceable)
{
    TempDir dir;
    const std::string log = dir.file("run.csv");
    const std::string text = kLogHeader + "1,0.5,0.8,0.6,0.7,1000.0,1.0,0.001\n";
    write_file_bytes(log, std::vector<unsigned char>(text.begin(), text.end()));
    const std::string link = dir.file("link.png");
    ASSERT_EQ(symlink(dir.file("target.png").c_str(), link.c_str()), 0);

    ProgramRun same = run(std::string(SVHN_PLOT_PATH) + " " + log + " " + dir.path() +
                          "/./run.csv");
    EXPECT_EQ(same.exit_status, 2) << same.output;
    EXPECT_TRUE(contains(same.output, "names the log file")) << same.output;

    ProgramRun to_link = run(std::string(SVHN_PLOT_PATH) + " " + log + " " + link);
    EXPECT_EQ(to_link.exit_status, 1) << to_link.output;
    EXPECT_TRUE(contains(to_link.output, "not a regular file")) << to_link.output;

    // /dev/null must stay a device: the plot is never renamed over it.
    ProgramRun to_device = run(std::string(SVHN_PLOT_PATH) + " " + log + " /dev/null");
    EXPECT_EQ(to_device.exit_status, 1) << to_device.output;
    struct stat info;
    ASSERT_EQ(stat("/dev/null", &info), 0);
    EXPECT_TRUE(S_ISCHR(info.st_mode));
}

TEST(BadInputCli, PlotDirectoryAsLogExitsOne)
{
    TempDir dir;
    ProgramRun result = run(std::string(SVHN_PLOT_PATH) + " " + dir.path() + " " +
                            dir.file("curves.png"));
    EXPECT_EQ(result.exit_status, 1) << result.output;
    EXPECT_EQ(count_lines(result.output), 1) << result.output;
    EXPECT_TRUE(contains(result.output, "svhn-plot: " + dir.path() + ": not a regular file (it "
                                        "is a directory)")) << result.output;
}

TEST(BadInputCli, PlotNamesBadCsvValue)
{
    const std::string row = ",0.5,0.8,0.6,0.7,100.0,1.0,0.001\n";
    const struct {
        std::string rows;
        std::string message;
    } cases[] = {
        {"1" + row + "2,abc,0.8,0.6,0.7,100.0,1.0,0.001\n",
         ":3: invalid value 'abc' for train_loss: expected a finite number >= 0\n"},
        {"1" + row + "2,0.5,0.8,0.6,0.7,100.0,1.0,\n",
         ":3: invalid value '' for lr: expected a finite number >= 0\n"},
        {"1" + row + "2,0.5,0.8,0.6,0.7,100.0,1.0,0.001x\n",
         ":3: invalid value '0.001x' for lr: expected a finite number >= 0\n"},
        {"1.5" + row,
         ":2: invalid value '1.5' for epoch: expected a whole number from 1 to 2147483647\n"},
        {"0" + row,
         ":2: invalid value '0' for epoch: expected a whole number from 1 to 2147483647\n"},
        {"99999999999" + row, ":2: invalid value '99999999999' for epoch: expected a whole "
                              "number from 1 to 2147483647\n"},
        {"4" + row + "5" + row + "3" + row,
         ":4: invalid value '3' for epoch: expected more than the previous row's epoch 5"},
        {"1" + row + "2" + row + "2" + row,
         ":4: invalid value '2' for epoch: expected more than the previous row's epoch 2"},
    };
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    for (const auto &c : cases) {
        const std::string text = kLogHeader + c.rows;
        ProgramRun result = plot_log(dir, csv, text);
        EXPECT_EQ(result.exit_status, 1) << c.rows;
        EXPECT_TRUE(contains(result.output, "svhn-plot: " + csv + c.message))
            << c.rows << result.output;
    }
}

// A row with a field too many or too few is reported by its field count,
// not as an invalid value in a field that is itself valid.
TEST(BadInputCli, PlotNamesCsvFieldCount)
{
    const std::string good = "1,0.5,0.8,0.6,0.7,100.0,1.0,0.001\n";
    const struct {
        std::string row;
        std::string message;
    } cases[] = {
        {"2,0.5,0.8,0.6,0.7,100.0,1.0,0.001,7\n",
         ":3: too many fields: the row has 9, but the header has 8: " + kLogHeader},
        {"2,0.5,0.8,0.6,0.7,100.0,1.0,0.001,\n",
         ":3: too many fields: the row has 9, but the header has 8: " + kLogHeader},
        {"2,0.5,0.8,0.6,0.7,100.0\n",
         ":3: too few fields: the row has 6 of the 8 fields of the header " + kLogHeader},
        {"2\n", ":3: too few fields: the row has 1 of the 8 fields of the header " + kLogHeader},
    };
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    for (const auto &c : cases) {
        const std::string text = kLogHeader + good + c.row;
        ProgramRun result = plot_log(dir, csv, text);
        EXPECT_EQ(result.exit_status, 1) << c.row;
        EXPECT_TRUE(contains(result.output, "svhn-plot: " + csv + c.message))
            << c.row << result.output;
        EXPECT_FALSE(contains(result.output, "invalid value")) << c.row << result.output;
    }
}

// Each column is checked against the values svhn-train --log can write.
TEST(BadInputCli, PlotRejectsCsvValueOutOfRange)
{
    const struct {
        std::string row;
        std::string message;
    } cases[] = {
        {"1,0.5,1.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '1.8' for train_acc: expected a number from 0 to 1"},
        {"1,0.5,0.8,0.6,-0.1,100.0,1.0,0.001",
         "invalid value '-0.1' for test_acc: expected a number from 0 to 1"},
        {"1,-0.5,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '-0.5' for train_loss: expected a finite number >= 0"},
        {"1,0.5,0.8,-2,0.7,100.0,1.0,0.001",
         "invalid value '-2' for test_loss: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,-100.0,1.0,0.001",
         "invalid value '-100.0' for examples_per_sec: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,-1.0,0.001",
         "invalid value '-1.0' for seconds: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,1.0,-0.001",
         "invalid value '-0.001' for lr: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,inf,1.0,0.001",
         "invalid value 'inf' for examples_per_sec: expected a finite number >= 0"},
    };
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    for (const auto &c : cases) {
        const std::string text = kLogHeader + c.row + "\n";
        ProgramRun result = plot_log(dir, csv, text);
        EXPECT_EQ(result.exit_status, 1) << c.row;
        EXPECT_TRUE(contains(result.output, "svhn-plot: " + csv + ":2: " + c.message + "\n"))
            << c.row << result.output;
    }
}

// Only the decimal forms that svhn-train's printf formats write are accepted,
// although strtod also takes white space, a '+', hex, inf and nan.
TEST(BadInputCli, PlotRejectsCsvNonDecimalValue)
{
    const struct {
        std::string row;
        std::string message;
    } cases[] = {
        {"1,0.5, 0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value ' 0.8' for train_acc: expected a number from 0 to 1"},
        {"1,0.5,0.8 ,0.6,0.7,100.0,1.0,0.001",
         "invalid value '0.8 ' for train_acc: expected a number from 0 to 1"},
        {" 1,0.5,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value ' 1' for epoch: expected a whole number from 1 to 2147483647"},
        {"1,0.5,0.8,0.6,0.7,100.0,1.0,0x1",
         "invalid value '0x1' for lr: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,1.0,0x1p-3",
         "invalid value '0x1p-3' for lr: expected a finite number >= 0"},
        {"1,+0.5,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '+0.5' for train_loss: expected a finite number >= 0"},
        {"1,-0,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '-0' for train_loss: expected a finite number >= 0"},
        {"1,0.5,0.8,nan,0.7,100.0,1.0,0.001",
         "invalid value 'nan' for test_loss: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,.5,0.001",
         "invalid value '.5' for seconds: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.,1.0,0.001",
         "invalid value '100.' for examples_per_sec: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,1.0,1e",
         "invalid value '1e' for lr: expected a finite number >= 0"},
        {"1,0.5,0.8,0.6,0.7,100.0,1.0,1e-400",
         "invalid value '1e-400' for lr: expected a finite number >= 0"},
        {"1.0,0.5,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '1.0' for epoch: expected a whole number from 1 to 2147483647"},
        {"1e0,0.5,0.8,0.6,0.7,100.0,1.0,0.001",
         "invalid value '1e0' for epoch: expected a whole number from 1 to 2147483647"},
    };
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    for (const auto &c : cases) {
        const std::string text = kLogHeader + c.row + "\n";
        ProgramRun result = plot_log(dir, csv, text);
        EXPECT_EQ(result.exit_status, 1) << c.row;
        EXPECT_TRUE(contains(result.output, "svhn-plot: " + csv + ":2: " + c.message + "\n"))
            << c.row << result.output;
    }
}

// svhn-train writes the lr with %g, which switches to an exponent below
// 1e-4, and Windows editors may save "\r\n" line ends.
TEST(BadInputCli, PlotAcceptsCsvPrintfForms)
{
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    const std::string text =
        "epoch,train_loss,train_acc,test_loss,test_acc,examples_per_sec,seconds,lr\r\n"
        "1,0.500000,0.800000,0.600000,0.700000,100.0,1.000,1e-05\r\n"
        "2,0.400000,0.850000,0.550000,0.750000,100.0,1.000,2.5e+06\n"
        "3,0.300000,0.900000,0.500000,0.800000,100.0,1.000,1E-05";
    ProgramRun result = plot_log(dir, csv, text);
    EXPECT_EQ(result.exit_status, 0) << result.output;
}

// A line longer than the reader's 1023 characters is reported with its own
// line number, not split by fgets with the rest read as the next line.
TEST(BadInputCli, PlotNamesCsvLongLine)
{
    const std::string good = "1,0.5,0.8,0.6,0.7,100.0,1.0,0.001\n";
    const std::string tail = ",0.8,0.6,0.7,100.0,1.0,0.001";
    // Returns row 2 of exactly `length` characters, its train_loss padded
    // with leading zeros, which the reader accepts.
    auto row_of_length = [&](size_t length) {
        const std::string prefix = "2,";
        const size_t zeros = length - prefix.size() - std::string("0.5").size() - tail.size();
        return prefix + std::string(zeros, '0') + "0.5" + tail;
    };
    const std::string long_message = "the line is longer than 1023 characters; expected the "
                                     "CSV metrics log written by svhn-train --log, whose lines are "
                                     "shorter";
    const struct {
        std::string text;
        int exit_status;
        std::string message;
    } cases[] = {
        {kLogHeader + good + row_of_length(1023) + "\n", 0, ""},
        {kLogHeader + good + row_of_length(1023) + "\r\n", 0, ""},
        {kLogHeader + good + row_of_length(1023), 0, ""},
        {kLogHeader + good + row_of_length(1024) + "\n", 1, ":3: " + long_message},
        {kLogHeader + good + row_of_length(1024), 1, ":3: " + long_message},
        {kLogHeader + good + row_of_length(1023) + "\r\r\n", 1, ":3: " + long_message},
        {kLogHeader + good + row_of_length(3000) + "\n" +
             "3,0.5,0.8,0.6,0.7,100.0,1.0,0.001\n",
         1,
         ":3: " + long_message},
        {std::string(2000, 'x') + "\n" + good, 1, ":1: " + long_message},
    };
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    for (const auto &c : cases) {
        ProgramRun result = plot_log(dir, csv, c.text);
        const std::string name = c.text.substr(kLogHeader.size() + good.size(), 20) + "... (" +
                                 std::to_string(c.text.size()) + " bytes)";
        EXPECT_EQ(result.exit_status, c.exit_status) << name << result.output;
        if (c.exit_status != 0) {
            EXPECT_TRUE(contains(result.output, "svhn-plot: " + csv + c.message + "\n"))
                << name << result.output;
            EXPECT_EQ(count_lines(result.output), 1) << name << result.output;
        }
    }
}

// Values at the edges of each range are accepted. svhn-train --log writes
// an accuracy of 0 or 1, and a test loss and accuracy of 0 without a test
// set. An lr of 0 is accepted too: older versions wrote it when --lr
// rounded to 0 as a float.
TEST(BadInputCli, PlotAcceptsCsvRangeEdges)
{
    TempDir dir;
    const std::string csv = dir.file("log.csv");
    const std::string text =
        "epoch,train_loss,train_acc,test_loss,test_acc,examples_per_sec,seconds,lr\n"
        "1,0.000000,1.000000,0.000000,0.000000,0.0,0.000,0\n"
        "2147483647,2.302585,0.000000,0.000000,1.000000,12345.6,3.250,10\n";
    ProgramRun result = plot_log(dir, csv, text);
    EXPECT_EQ(result.exit_status, 0) << result.output;
}
