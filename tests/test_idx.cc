// Tests of dataset_load_idx on small idx files written here, plain and
// gzip-compressed, and on invalid headers, sizes and labels.

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_test_files.h"
#include "svhn/dataset.h"

namespace {

const uint32_t IMAGES_MAGIC = 0x00000803;
const uint32_t LABELS_MAGIC = 0x00000801;

// Writes 3 images of 4 x 5 and their labels 7, 0, 9.
void write_valid_pair(const TempDir &dir, const std::string &images, const std::string &labels,
                      bool compress)
{
    std::vector<uint8_t> image_bytes = idx_bytes(IMAGES_MAGIC, {3, 4, 5}, idx_test_images(3, 4, 5));
    std::vector<uint8_t> label_bytes = idx_bytes(LABELS_MAGIC, {3}, {7, 0, 9});
    if (compress) {
        write_gzip_bytes(dir.file(images), image_bytes);
        write_gzip_bytes(dir.file(labels), label_bytes);
    } else {
        write_file_bytes(dir.file(images), image_bytes);
        write_file_bytes(dir.file(labels), label_bytes);
    }
}

std::string load_error(const std::string &images, const std::string &labels)
{
    Dataset dataset;
    Error error{};
    EXPECT_NE(dataset_load_idx(&dataset, images.c_str(), labels.c_str(), &error), 0);
    EXPECT_EQ(dataset.images, nullptr);
    EXPECT_EQ(dataset.labels, nullptr);
    dataset_free(&dataset);
    return error.message;
}

void expect_valid_pair(const Dataset &dataset)
{
    ASSERT_EQ(dataset.count, 3);
    EXPECT_EQ(dataset.shape.channels, 1);
    EXPECT_EQ(dataset.shape.height, 4);
    EXPECT_EQ(dataset.shape.width, 5);
    EXPECT_EQ(dataset.labels[0], 7);
    EXPECT_EQ(dataset.labels[1], 0);
    EXPECT_EQ(dataset.labels[2], 9);
    for (int n = 0; n < 3; n++) {
        for (int row = 0; row < 4; row++) {
            for (int col = 0; col < 5; col++) {
                EXPECT_EQ(dataset.images[(n * 4 + row) * 5 + col], idx_test_pixel(row, col, n))
                    << "n " << n << " row " << row << " col " << col;
            }
        }
    }
}

}  // namespace

TEST(Idx, PlainAndGzipLoadTheSame)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    write_valid_pair(dir, "images.gz", "labels.gz", true);

    Dataset plain, compressed;
    Error error{};
    ASSERT_EQ(dataset_load_idx(&plain, dir.file("images").c_str(), dir.file("labels").c_str(),
                               &error), 0) << error.message;
    ASSERT_EQ(dataset_load_idx(&compressed, dir.file("images.gz").c_str(),
                               dir.file("labels.gz").c_str(), &error), 0) << error.message;

    expect_valid_pair(plain);
    expect_valid_pair(compressed);
    ASSERT_EQ(plain.count, compressed.count);
    EXPECT_EQ(0, memcmp(plain.images, compressed.images, shape_size(plain.shape) * plain.count));
    EXPECT_EQ(0, memcmp(plain.labels, compressed.labels, plain.count));
    dataset_free(&plain);
    dataset_free(&compressed);
}

TEST(Idx, MixedCompressionLoads)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    write_valid_pair(dir, "images.gz", "labels.gz", true);

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_idx(&dataset, dir.file("images").c_str(),
                               dir.file("labels.gz").c_str(), &error), 0) << error.message;
    expect_valid_pair(dataset);
    dataset_free(&dataset);
}

TEST(Idx, MissingFileFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);

    std::string missing = dir.file("absent");
    std::string message = load_error(missing, dir.file("labels"));
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;

    message = load_error(dir.file("images"), missing);
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(Idx, WrongMagicFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("bad_magic");
    write_file_bytes(path, idx_bytes(0x12345678, {3, 4, 5}, idx_test_images(3, 4, 5)));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("invalid magic number 0x12345678"), std::string::npos) << message;
}

TEST(Idx, LabelMagicForImagesFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);

    // The label file given as images: one dimension where three are expected.
    std::string labels = dir.file("labels");
    std::string message = load_error(labels, labels);
    EXPECT_NE(message.find(labels), std::string::npos) << message;
    EXPECT_NE(message.find("invalid magic number 0x00000801: 1 dimensions, expected 3"),
              std::string::npos) << message;
}

TEST(Idx, FloatElementTypeFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("float_images");
    write_file_bytes(path, idx_bytes(0x00000D03, {3, 4, 5}, std::vector<uint8_t>(240)));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("element type 0x0d"), std::string::npos) << message;
}

TEST(Idx, ZeroRowsFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("zero_rows");
    write_file_bytes(path, idx_bytes(IMAGES_MAGIC, {3, 0, 5}, {}));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("invalid image size 0x5"), std::string::npos) << message;
}

TEST(Idx, HugeCountFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("huge");
    write_file_bytes(path, idx_bytes(IMAGES_MAGIC, {4000000000u, 28, 28}, {}));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("invalid image count 4000000000"), std::string::npos) << message;
}

TEST(Idx, TruncatedPixelsFail)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("short");
    std::vector<uint8_t> pixels = idx_test_images(3, 4, 5);
    pixels.resize(50);
    write_file_bytes(path, idx_bytes(IMAGES_MAGIC, {3, 4, 5}, pixels));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("file truncated or corrupt: the header declares 60 bytes of "
                           "pixels"), std::string::npos) << message;
    EXPECT_NE(message.find("uncompressed file of 66 bytes can contain at most 50"),
              std::string::npos) << message;
}

TEST(Idx, TruncatedGzipPixelsFail)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("short.gz");
    std::vector<uint8_t> pixels = idx_test_images(3, 4, 5);
    pixels.resize(10);
    write_gzip_bytes(path, idx_bytes(IMAGES_MAGIC, {3, 4, 5}, pixels));

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("truncated in the pixel data: expected 60 bytes, found 10"),
              std::string::npos) << message;
}

TEST(Idx, TruncatedHeaderFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("header_only");
    write_file_bytes(path, {0x00, 0x00, 0x08, 0x03, 0x00, 0x00});

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("truncated in the dimension sizes"), std::string::npos) << message;
}

TEST(Idx, CutGzipStreamFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("cut.gz");
    write_gzip_bytes(path, idx_bytes(IMAGES_MAGIC, {3, 4, 5}, idx_test_images(3, 4, 5)));

    // Without its trailer and the end of the deflate data, zlib reports an
    // unexpected end of file, or returns fewer bytes.
    std::vector<uint8_t> bytes = read_file_bytes(path);
    bytes.resize(bytes.size() - 12);
    write_file_bytes(path, bytes);

    std::string message = load_error(path, dir.file("labels"));
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("pixel data"), std::string::npos) << message;
}

TEST(Idx, LabelOutOfRangeFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("bad_labels");
    write_file_bytes(path, idx_bytes(LABELS_MAGIC, {3}, {1, 2, 10}));

    std::string message = load_error(dir.file("images"), path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("invalid label 10 at index 2"), std::string::npos) << message;
}

TEST(Idx, LabelCountMismatchFails)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("four_labels");
    write_file_bytes(path, idx_bytes(LABELS_MAGIC, {4}, {1, 2, 3, 4}));

    std::string images = dir.file("images");
    std::string message = load_error(images, path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("label count 4 does not match the image count 3"), std::string::npos)
        << message;
    EXPECT_NE(message.find(images), std::string::npos) << message;
}

TEST(Idx, TruncatedLabelsFail)
{
    TempDir dir;
    write_valid_pair(dir, "images", "labels", false);
    std::string path = dir.file("short_labels");
    write_file_bytes(path, idx_bytes(LABELS_MAGIC, {3}, {1, 2}));

    std::string message = load_error(dir.file("images"), path);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("the header declares 3 bytes of labels but the uncompressed "
                           "file of 10 bytes can contain at most 2"),
              std::string::npos) << message;
}
