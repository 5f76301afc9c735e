// Tests of dataset_load_svhn_mat on the real SVHN sample, on small files
// written here with matio, and on every kind of invalid input.

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_test_files.h"
#include "svhn/dataset.h"

namespace {

// Loads `path`, expecting failure, and returns the error message.
std::string load_error(const std::string &path)
{
    Dataset dataset;
    Error error{};
    EXPECT_NE(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0);
    EXPECT_EQ(dataset.images, nullptr);
    EXPECT_EQ(dataset.labels, nullptr);
    dataset_free(&dataset);
    return error.message;
}

size_t nchw_index(Shape shape, int n, int channel, int row, int col)
{
    return ((static_cast<size_t>(n) * shape.channels + channel) * shape.height + row)
               * shape.width + col;
}

std::string sample_dir()
{
    const char *dir = std::getenv("SVHN_SAMPLE_DIR");
    return dir != nullptr ? dir : "";
}

}  // namespace

TEST(SvhnSample, TrainLoadsLabelsAndPixels)
{
    if (sample_dir().empty()) {
        GTEST_SKIP() << "SVHN_SAMPLE_DIR is not set (folder with the real train_32x32.mat "
                        "and test_32x32.mat sample)";
    }
    std::string path = sample_dir() + "/train_32x32.mat";

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    ASSERT_EQ(dataset.count, 40);
    EXPECT_EQ(dataset.shape.channels, 3);
    EXPECT_EQ(dataset.shape.height, 32);
    EXPECT_EQ(dataset.shape.width, 32);

    // Files store labels 1..10, where 10 is digit 0: counts of labels 1..9
    // are 3 6 3 4 5 3 3 3 5 and label 10 has 5.
    int counts[DATASET_CLASSES] = {0};
    for (int i = 0; i < dataset.count; i++) {
        ASSERT_LT(dataset.labels[i], DATASET_CLASSES);
        counts[dataset.labels[i]]++;
    }
    const int expected[DATASET_CLASSES] = {5, 3, 6, 3, 4, 5, 3, 3, 3, 5};
    for (int k = 0; k < DATASET_CLASSES; k++) {
        EXPECT_EQ(counts[k], expected[k]) << "class " << k;
    }

    // The first labels in the file are 8 8 10 9.
    EXPECT_EQ(dataset.labels[0], 8);
    EXPECT_EQ(dataset.labels[1], 8);
    EXPECT_EQ(dataset.labels[2], 0);
    EXPECT_EQ(dataset.labels[3], 9);

    // Values read from the file's X(row, col, channel, n) with a separate
    // Python MAT5 parser (zlib + struct), indices 0-based.
    Shape shape = dataset.shape;
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 0, 0, 0)], 109);
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 1, 5, 7)], 136);
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 2, 31, 31)], 141);
    EXPECT_EQ(dataset.images[nchw_index(shape, 3, 0, 10, 20)], 120);
    EXPECT_EQ(dataset.images[nchw_index(shape, 39, 1, 16, 16)], 184);
    EXPECT_EQ(dataset.images[nchw_index(shape, 12, 2, 0, 31)], 144);
    dataset_free(&dataset);
}

TEST(SvhnSample, TestLoadsOneOfEachClass)
{
    if (sample_dir().empty()) {
        GTEST_SKIP() << "SVHN_SAMPLE_DIR is not set (folder with the real train_32x32.mat "
                        "and test_32x32.mat sample)";
    }
    std::string path = sample_dir() + "/test_32x32.mat";

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    ASSERT_EQ(dataset.count, 10);

    // File labels 3 5 1 10 4 8 9 7 6 2.
    const uint8_t expected[10] = {3, 5, 1, 0, 4, 8, 9, 7, 6, 2};
    for (int i = 0; i < 10; i++) {
        EXPECT_EQ(dataset.labels[i], expected[i]) << "index " << i;
    }

    Shape shape = dataset.shape;
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 0, 0, 0)], 54);
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 1, 5, 7)], 128);
    EXPECT_EQ(dataset.images[nchw_index(shape, 0, 2, 31, 31)], 96);
    dataset_free(&dataset);
}

TEST(SvhnMat, ConvertsColumnMajorToNchw)
{
    TempDir dir;
    std::string path = dir.file("small.mat");

    // 4 x 5 images catch a swapped row and column, which 32 x 32 would hide.
    const int height = 4, width = 5, count = 3;
    write_mat(path, {svhn_images(height, width, 3, count), svhn_labels({1, 10, 7})}, true);

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    ASSERT_EQ(dataset.count, count);
    EXPECT_EQ(dataset.shape.channels, 3);
    EXPECT_EQ(dataset.shape.height, height);
    EXPECT_EQ(dataset.shape.width, width);
    EXPECT_EQ(dataset.labels[0], 1);
    EXPECT_EQ(dataset.labels[1], 0);
    EXPECT_EQ(dataset.labels[2], 7);

    for (int n = 0; n < count; n++) {
        for (int c = 0; c < 3; c++) {
            for (int row = 0; row < height; row++) {
                for (int col = 0; col < width; col++) {
                    ASSERT_EQ(dataset.images[nchw_index(dataset.shape, n, c, row, col)],
                              test_pixel(row, col, c, n))
                        << "n " << n << " channel " << c << " row " << row << " col " << col;
                }
            }
        }
    }
    dataset_free(&dataset);
}

TEST(SvhnMat, UncompressedFileLoads)
{
    TempDir dir;
    std::string path = dir.file("plain.mat");
    write_mat(path, {svhn_images(32, 32, 3, 2), svhn_labels({2, 3})}, false);

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    ASSERT_EQ(dataset.count, 2);
    EXPECT_EQ(dataset.labels[1], 3);
    EXPECT_EQ(dataset.images[nchw_index(dataset.shape, 1, 2, 30, 4)], test_pixel(30, 4, 2, 1));
    dataset_free(&dataset);
}

TEST(SvhnMat, EveryNumericLabelClassLoads)
{
    const matio_classes classes[] = {MAT_C_DOUBLE, MAT_C_SINGLE, MAT_C_INT8,  MAT_C_UINT8,
                                     MAT_C_INT16,  MAT_C_UINT16, MAT_C_INT32, MAT_C_UINT32,
                                     MAT_C_INT64,  MAT_C_UINT64};
    TempDir dir;
    for (matio_classes class_type : classes) {
        std::string path = dir.file("labels_" + std::to_string(class_type) + ".mat");
        write_mat(path, {svhn_images(2, 2, 3, 4), svhn_labels({10, 1, 5, 9}, class_type)}, true);

        Dataset dataset;
        Error error{};
        ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0)
            << "class " << class_type << ": " << error.message;
        ASSERT_EQ(dataset.count, 4);
        EXPECT_EQ(dataset.labels[0], 0) << "class " << class_type;
        EXPECT_EQ(dataset.labels[1], 1) << "class " << class_type;
        EXPECT_EQ(dataset.labels[2], 5) << "class " << class_type;
        EXPECT_EQ(dataset.labels[3], 9) << "class " << class_type;
        dataset_free(&dataset);
    }
}

TEST(SvhnMat, RowVectorLabelsLoad)
{
    TempDir dir;
    std::string path = dir.file("row.mat");
    MatVariable labels{"y", MAT_C_DOUBLE, {1, 3}, {4, 5, 6}, {}};
    write_mat(path, {svhn_images(2, 2, 3, 3), labels}, true);

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    EXPECT_EQ(dataset.labels[2], 6);
    dataset_free(&dataset);
}

TEST(SvhnMat, MissingFileFails)
{
    TempDir dir;
    std::string path = dir.file("absent.mat");
    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(SvhnMat, TextFileIsNotMat)
{
    TempDir dir;
    std::string path = dir.file("notes.mat");
    std::string text = "this is a text file, not a MATLAB file\n";
    write_file_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("not a MATLAB MAT file"), std::string::npos) << message;
}

TEST(SvhnMat, EmptyFileIsNotMat)
{
    TempDir dir;
    std::string path = dir.file("empty.mat");
    write_file_bytes(path, {});

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("not a MATLAB MAT file"), std::string::npos) << message;
}

TEST(SvhnMat, MissingXListsVariables)
{
    TempDir dir;
    std::string path = dir.file("no_x.mat");
    write_mat(path, {svhn_labels({1, 2})}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X not found"), std::string::npos) << message;
    EXPECT_NE(message.find("variables in file: y"), std::string::npos) << message;
}

TEST(SvhnMat, MisnamedVariablesAreListed)
{
    TempDir dir;
    std::string path = dir.file("misnamed.mat");
    write_mat(path, {svhn_images(2, 2, 3, 2, "images"), svhn_labels({1, 2}, MAT_C_DOUBLE, "labels")},
              true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X not found"), std::string::npos) << message;
    EXPECT_NE(message.find("images, labels"), std::string::npos) << message;
}

TEST(SvhnMat, MissingYFails)
{
    TempDir dir;
    std::string path = dir.file("no_y.mat");
    write_mat(path, {svhn_images(2, 2, 3, 2)}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable y not found"), std::string::npos) << message;
    EXPECT_NE(message.find("variables in file: X"), std::string::npos) << message;
}

TEST(SvhnMat, RankThreeXFails)
{
    TempDir dir;
    std::string path = dir.file("rank3.mat");
    MatVariable images{"X", MAT_C_UINT8, {32, 32, 3}, {}, std::vector<uint8_t>(32 * 32 * 3, 1)};
    write_mat(path, {images, svhn_labels({1})}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X has rank 3"), std::string::npos) << message;
}

TEST(SvhnMat, OneChannelXFails)
{
    TempDir dir;
    std::string path = dir.file("gray.mat");
    write_mat(path, {svhn_images(32, 32, 1, 2), svhn_labels({1, 2})}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X has dims 32x32x1x2"), std::string::npos) << message;
}

TEST(SvhnMat, DoubleXFails)
{
    TempDir dir;
    std::string path = dir.file("double_x.mat");
    MatVariable images{"X", MAT_C_DOUBLE, {2, 2, 3, 1}, std::vector<double>(12, 0.5), {}};
    write_mat(path, {images, svhn_labels({1})}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X has MATLAB class double"), std::string::npos) << message;
    EXPECT_NE(message.find("expected uint8"), std::string::npos) << message;
}

// Each invalid label must be reported with its value and 0-based index.
TEST(SvhnMat, InvalidLabelsNameValueAndIndex)
{
    struct Case {
        const char *file;
        matio_classes class_type;
        double value;
        const char *value_text;
    };
    const Case cases[] = {
        {"zero.mat", MAT_C_DOUBLE, 0, "invalid label 0 at index 2"},
        {"eleven.mat", MAT_C_DOUBLE, 11, "invalid label 11 at index 2"},
        {"fraction.mat", MAT_C_DOUBLE, 2.5, "invalid label 2.5 at index 2"},
        {"nan.mat", MAT_C_DOUBLE, NAN, "invalid label nan at index 2"},
        {"negative.mat", MAT_C_DOUBLE, -3, "invalid label -3 at index 2"},
        {"single.mat", MAT_C_SINGLE, 0.5, "invalid label 0.5 at index 2"},
        {"int8.mat", MAT_C_INT8, -1, "invalid label -1 at index 2"},
        {"uint8.mat", MAT_C_UINT8, 0, "invalid label 0 at index 2"},
        {"uint16.mat", MAT_C_UINT16, 300, "invalid label 300 at index 2"},
        {"int64.mat", MAT_C_INT64, 11, "invalid label 11 at index 2"},
    };

    TempDir dir;
    for (const Case &c : cases) {
        std::string path = dir.file(c.file);
        write_mat(path, {svhn_images(2, 2, 3, 4), svhn_labels({1, 2, c.value, 4}, c.class_type)},
                  true);

        std::string message = load_error(path);
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find("variable y"), std::string::npos) << message;
        EXPECT_NE(message.find(c.value_text), std::string::npos) << message;
    }
}

TEST(SvhnMat, LabelCountMismatchFails)
{
    TempDir dir;
    std::string path = dir.file("mismatch.mat");
    write_mat(path, {svhn_images(2, 2, 3, 4), svhn_labels({1, 2, 3, 4, 5})}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable y has 5 elements"), std::string::npos) << message;
    EXPECT_NE(message.find("N = 4"), std::string::npos) << message;
}

TEST(SvhnMat, MatrixLabelsFail)
{
    TempDir dir;
    std::string path = dir.file("matrix.mat");
    MatVariable labels{"y", MAT_C_DOUBLE, {2, 2}, {1, 2, 3, 4}, {}};
    write_mat(path, {svhn_images(2, 2, 3, 4), labels}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable y has 4 elements (rank 2)"), std::string::npos) << message;
}

TEST(SvhnMat, TextLabelsFail)
{
    TempDir dir;
    std::string path = dir.file("char.mat");
    MatVariable labels{"y", MAT_C_CHAR, {2, 1}, {}, {'a', 'b'}};
    write_mat(path, {svhn_images(2, 2, 3, 2), labels}, true);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable y has MATLAB class char"), std::string::npos) << message;
}

TEST(SvhnMat, TruncatedUncompressedFileFails)
{
    TempDir dir;
    std::string path = dir.file("cut_plain.mat");
    write_mat(path, {svhn_images(32, 32, 3, 4), svhn_labels({1, 2, 3, 4})}, false);

    // Cut inside X's 12,288 bytes of pixels, which start after the 128-byte
    // header and the array's tags.
    std::vector<uint8_t> bytes = read_file_bytes(path);
    ASSERT_GT(bytes.size(), 6000u);
    bytes.resize(6000);
    write_file_bytes(path, bytes);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X (element at byte 128)"), std::string::npos) << message;
    EXPECT_NE(message.find("file truncated"), std::string::npos) << message;
}

TEST(SvhnMat, TruncatedCompressedFileFails)
{
    TempDir dir;
    std::string path = dir.file("cut_zlib.mat");
    write_mat(path, {svhn_images(32, 32, 3, 8), svhn_labels({1, 2, 3, 4, 5, 6, 7, 8})}, true);

    std::vector<uint8_t> bytes = read_file_bytes(path);
    ASSERT_GT(bytes.size(), 400u);
    bytes.resize(bytes.size() / 2);
    write_file_bytes(path, bytes);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X (element at byte 128)"), std::string::npos) << message;
    EXPECT_NE(message.find("file truncated"), std::string::npos) << message;
}

TEST(SvhnMat, CorruptCompressedDataFails)
{
    TempDir dir;
    std::string path = dir.file("corrupt.mat");
    write_mat(path, {svhn_images(32, 32, 3, 8), svhn_labels({1, 2, 3, 4, 5, 6, 7, 8})}, true);

    // Overwrite 200 bytes in the second half of X's zlib stream, so the
    // start with the variable name still inflates.
    std::vector<uint8_t> bytes = read_file_bytes(path);
    size_t first = bytes.size() / 2;
    ASSERT_GT(bytes.size(), first + 200);
    for (size_t i = first; i < first + 200; i++) {
        bytes[i] = static_cast<uint8_t>(0xA5 ^ i);
    }
    write_file_bytes(path, bytes);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("variable X (element at byte 128)"), std::string::npos) << message;
    EXPECT_NE(message.find("compressed data is corrupt"), std::string::npos) << message;
}

TEST(SvhnMat, CorruptZlibHeaderFails)
{
    TempDir dir;
    std::string path = dir.file("corrupt_start.mat");
    write_mat(path, {svhn_images(32, 32, 3, 8), svhn_labels({1, 2, 3, 4, 5, 6, 7, 8})}, true);

    // The zlib stream of X starts at byte 136, after the 128-byte file
    // header and the 8-byte element tag, so its name cannot be read.
    std::vector<uint8_t> bytes = read_file_bytes(path);
    ASSERT_GT(bytes.size(), 200u);
    for (size_t i = 136; i < 200; i++) {
        bytes[i] = static_cast<uint8_t>(0x5A ^ i);
    }
    write_file_bytes(path, bytes);

    std::string message = load_error(path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("element at byte 128"), std::string::npos) << message;
    EXPECT_NE(message.find("compressed data is corrupt"), std::string::npos) << message;
}
