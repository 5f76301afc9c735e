// Tests of the dataset operations (stats, batches, truncation), of
// data_split_load on SVHN and MNIST-format folders, and of the make-svhn
// program.

#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_test_files.h"
#include "svhn/dataset.h"

namespace {

// Two images of 2 channels x 1 x 2 pixels, each set by hand:
//   image 0: channel 0 = {0, 255},   channel 1 = {51, 51}
//   image 1: channel 0 = {255, 255}, channel 1 = {102, 102}
// Scaled to [0, 1], channel 0 is {0, 1, 1, 1}: mean 0.75, population std
// sqrt(0.1875). Channel 1 is {0.2, 0.2, 0.4, 0.4}: mean 0.3, population std 0.1.
Dataset make_tiny_set()
{
    Dataset dataset{};
    dataset.count = 2;
    dataset.shape = Shape{2, 1, 2};
    dataset.images = static_cast<uint8_t *>(std::malloc(8));
    dataset.labels = static_cast<uint8_t *>(std::malloc(2));
    const uint8_t pixels[8] = {0, 255, 51, 51, 255, 255, 102, 102};
    std::memcpy(dataset.images, pixels, sizeof pixels);
    dataset.labels[0] = 4;
    dataset.labels[1] = 9;
    return dataset;
}

// Runs a shell command and returns its exit status, or -1 when it did not
// exit normally.
int run_command(const std::string &command)
{
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string make_svhn_command(const std::string &arguments, const std::string &stderr_path)
{
    return std::string("'") + MAKE_SVHN_PATH + "' " + arguments + " >/dev/null 2>'" + stderr_path
           + "'";
}

void write_mnist_files(const TempDir &dir, const std::string &prefix, int count, int rows,
                       int cols, bool compress)
{
    std::vector<uint8_t> images = idx_bytes(0x00000803,
                                            {static_cast<uint32_t>(count),
                                             static_cast<uint32_t>(rows),
                                             static_cast<uint32_t>(cols)},
                                            idx_test_images(count, rows, cols));
    std::vector<uint8_t> labels_data;
    for (int i = 0; i < count; i++) {
        labels_data.push_back(static_cast<uint8_t>(i % 10));
    }
    std::vector<uint8_t> labels = idx_bytes(0x00000801, {static_cast<uint32_t>(count)},
                                            labels_data);

    std::string suffix = compress ? ".gz" : "";
    std::string images_path = dir.file(prefix + "-images-idx3-ubyte" + suffix);
    std::string labels_path = dir.file(prefix + "-labels-idx1-ubyte" + suffix);
    if (compress) {
        write_gzip_bytes(images_path, images);
        write_gzip_bytes(labels_path, labels);
    } else {
        write_file_bytes(images_path, images);
        write_file_bytes(labels_path, labels);
    }
}

}  // namespace

TEST(Dataset, ChannelStatsMatchHandValues)
{
    Dataset dataset = make_tiny_set();
    float mean[2], std[2];
    dataset_channel_stats(&dataset, mean, std);

    EXPECT_NEAR(mean[0], 0.75, 1e-6);
    EXPECT_NEAR(std[0], std::sqrt(0.1875), 1e-6);
    EXPECT_NEAR(mean[1], 0.3, 1e-6);
    EXPECT_NEAR(std[1], 0.1, 1e-6);
    dataset_free(&dataset);
}

TEST(Dataset, GatherBatchNormalisesInIndexOrder)
{
    Dataset dataset = make_tiny_set();
    const float mean[2] = {0.5f, 0.25f};
    const float std[2] = {0.5f, 0.125f};
    const int indices[3] = {1, 0, 1};
    float images[3 * 4];
    uint8_t labels[3];
    dataset_gather_batch(images, labels, &dataset, indices, 3, mean, std);

    // (pixel / 255 - mean[c]) / std[c] for images 1, 0, 1.
    const float expected[12] = {
        1.0f, 1.0f, (0.4f - 0.25f) / 0.125f, (0.4f - 0.25f) / 0.125f,
        -1.0f, 1.0f, (0.2f - 0.25f) / 0.125f, (0.2f - 0.25f) / 0.125f,
        1.0f, 1.0f, (0.4f - 0.25f) / 0.125f, (0.4f - 0.25f) / 0.125f,
    };
    for (int i = 0; i < 12; i++) {
        EXPECT_NEAR(images[i], expected[i], 1e-5) << "element " << i;
    }
    EXPECT_EQ(labels[0], 9);
    EXPECT_EQ(labels[1], 4);
    EXPECT_EQ(labels[2], 9);
    dataset_free(&dataset);
}

TEST(Dataset, TruncateKeepsFirstExamples)
{
    Dataset dataset = make_tiny_set();

    dataset_truncate(&dataset, 0);
    EXPECT_EQ(dataset.count, 2);
    dataset_truncate(&dataset, 5);
    EXPECT_EQ(dataset.count, 2);

    dataset_truncate(&dataset, 1);
    ASSERT_EQ(dataset.count, 1);
    EXPECT_EQ(dataset.labels[0], 4);
    EXPECT_EQ(dataset.images[1], 255);
    EXPECT_EQ(dataset.images[2], 51);
    dataset_free(&dataset);
    EXPECT_EQ(dataset.images, nullptr);
    EXPECT_EQ(dataset.count, 0);
}

TEST(Dataset, KindNames)
{
    EXPECT_STREQ(dataset_kind_name(DATASET_AUTO), "auto");
    EXPECT_STREQ(dataset_kind_name(DATASET_SVHN), "svhn");
    EXPECT_STREQ(dataset_kind_name(DATASET_MNIST), "mnist");
}

TEST(Split, SvhnSampleAutoDetected)
{
    const char *dir = std::getenv("SVHN_SAMPLE_DIR");
    if (dir == nullptr || dir[0] == '\0') {
        GTEST_SKIP() << "SVHN_SAMPLE_DIR is not set (folder with the real train_32x32.mat "
                        "and test_32x32.mat sample)";
    }

    DataSplit split;
    Error error{};
    ASSERT_EQ(data_split_load(&split, dir, DATASET_AUTO, &error), 0) << error.message;
    EXPECT_EQ(split.kind, DATASET_SVHN);
    EXPECT_EQ(split.train.count, 40);
    EXPECT_EQ(split.test.count, 10);
    EXPECT_EQ(split.test.shape.channels, 3);

    // The folder's per-channel means lie well inside (0, 1).
    float mean[3], std[3];
    dataset_channel_stats(&split.train, mean, std);
    for (int c = 0; c < 3; c++) {
        EXPECT_GT(mean[c], 0.1f) << "channel " << c;
        EXPECT_LT(mean[c], 0.9f) << "channel " << c;
        EXPECT_GT(std[c], 0.01f) << "channel " << c;
    }
    data_split_free(&split);
}

TEST(Split, MnistPlainAndGzipFound)
{
    TempDir dir;
    write_mnist_files(dir, "train", 12, 3, 4, true);
    write_mnist_files(dir, "t10k", 5, 3, 4, false);

    DataSplit split;
    Error error{};
    ASSERT_EQ(data_split_load(&split, dir.path().c_str(), DATASET_AUTO, &error), 0)
        << error.message;
    EXPECT_EQ(split.kind, DATASET_MNIST);
    EXPECT_EQ(split.train.count, 12);
    EXPECT_EQ(split.test.count, 5);
    EXPECT_EQ(split.train.shape.channels, 1);
    EXPECT_EQ(split.train.shape.height, 3);
    EXPECT_EQ(split.train.shape.width, 4);
    EXPECT_EQ(split.train.labels[11], 1);
    data_split_free(&split);
}

TEST(Split, EmptyFolderNamesFilesLookedFor)
{
    TempDir dir;
    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_AUTO, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
    EXPECT_NE(message.find("train_32x32.mat"), std::string::npos) << message;
    EXPECT_NE(message.find("train-images-idx3-ubyte.gz"), std::string::npos) << message;
}

TEST(Split, MissingFolderFails)
{
    TempDir dir;
    std::string missing = dir.file("absent");
    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, missing.c_str(), DATASET_AUTO, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(missing), std::string::npos) << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(Split, MissingTestLabelsNamed)
{
    TempDir dir;
    write_mnist_files(dir, "train", 4, 2, 2, false);
    write_mnist_files(dir, "t10k", 4, 2, 2, false);
    std::remove(dir.file("t10k-labels-idx1-ubyte").c_str());

    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_MNIST, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
    EXPECT_NE(message.find("t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz"),
              std::string::npos) << message;
    EXPECT_EQ(split.train.images, nullptr);
}

TEST(Split, ForcedSvhnWithoutFilesFails)
{
    TempDir dir;
    write_mnist_files(dir, "train", 4, 2, 2, false);

    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_SVHN, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(dir.file("train_32x32.mat")), std::string::npos) << message;
}

TEST(Split, ShapeMismatchFails)
{
    TempDir dir;
    write_mnist_files(dir, "train", 4, 2, 3, false);
    write_mnist_files(dir, "t10k", 4, 3, 2, false);

    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_AUTO, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
    EXPECT_NE(message.find("train images are 1x2x3 but test images are 1x3x2"),
              std::string::npos) << message;
}

TEST(Split, DirectoryNamedLikeDataFileRejected)
{
    TempDir dir;
    const std::string mat = dir.file("train_32x32.mat");
    const std::string gzip = dir.file("train-images-idx3-ubyte.gz");
    ASSERT_EQ(mkdir(mat.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(gzip.c_str(), 0755), 0);

    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_AUTO, &error), 0);
    std::string message = error.message;
    EXPECT_NE(message.find(mat + ": exists but is not a regular file (it is a directory)"),
              std::string::npos) << message;

    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_SVHN, &error), 0);
    message = error.message;
    EXPECT_NE(message.find(mat + ": not a regular file (it is a directory)"), std::string::npos)
        << message;

    ASSERT_NE(data_split_load(&split, dir.path().c_str(), DATASET_MNIST, &error), 0);
    message = error.message;
    EXPECT_NE(message.find(gzip + ": exists but is not a regular file (it is a directory)"),
              std::string::npos) << message;
}

TEST(Split, TestOnlyMnistFolderLoads)
{
    TempDir dir;
    write_mnist_files(dir, "t10k", 5, 3, 4, true);

    DataSplit split;
    Error error{};
    ASSERT_EQ(data_split_load_test(&split, dir.path().c_str(), DATASET_AUTO, &error), 0)
        << error.message;
    EXPECT_EQ(split.kind, DATASET_MNIST);
    EXPECT_EQ(split.test.count, 5);
    EXPECT_EQ(split.test.shape.height, 3);
    EXPECT_EQ(split.train.count, 0);
    EXPECT_EQ(split.train.images, nullptr);
    data_split_free(&split);
}

TEST(Split, TestOnlyLoadSkipsTrainFiles)
{
    // Train files that would fail to load prove that they are never read.
    TempDir dir;
    write_file_bytes(dir.file("train-images-idx3-ubyte"), {1, 2, 3});
    write_file_bytes(dir.file("train_32x32.mat"), {1, 2, 3});
    write_mnist_files(dir, "t10k", 4, 2, 2, false);

    DataSplit split;
    Error error{};
    ASSERT_EQ(data_split_load_test(&split, dir.path().c_str(), DATASET_AUTO, &error), 0)
        << error.message;
    EXPECT_EQ(split.test.count, 4);
    data_split_free(&split);
}

TEST(Split, TestOnlyEmptyFolderNamesTestFiles)
{
    TempDir dir;
    write_mnist_files(dir, "train", 4, 2, 2, false);

    DataSplit split;
    Error error{};
    ASSERT_NE(data_split_load_test(&split, dir.path().c_str(), DATASET_AUTO, &error), 0);

    std::string message = error.message;
    EXPECT_NE(message.find(dir.path() + ": no data set found"), std::string::npos) << message;
    EXPECT_NE(message.find("test_32x32.mat (SVHN)"), std::string::npos) << message;
    EXPECT_NE(message.find("t10k-images-idx3-ubyte.gz (MNIST)"), std::string::npos) << message;
}

TEST(Split, FashionMnistLoadsFullSets)
{
    const char *dir = std::getenv("FASHION_MNIST_DIR");
    if (dir == nullptr || dir[0] == '\0') {
        GTEST_SKIP() << "FASHION_MNIST_DIR is not set (folder with the four Fashion-MNIST "
                        "idx files, plain or .gz)";
    }

    DataSplit split;
    Error error{};
    ASSERT_EQ(data_split_load(&split, dir, DATASET_AUTO, &error), 0) << error.message;
    EXPECT_EQ(split.kind, DATASET_MNIST);
    EXPECT_EQ(split.train.count, 60000);
    EXPECT_EQ(split.test.count, 10000);
    EXPECT_EQ(split.train.shape.channels, 1);
    EXPECT_EQ(split.train.shape.height, 28);
    EXPECT_EQ(split.train.shape.width, 28);

    // Fashion-MNIST is balanced: 6,000 train images per class.
    int counts[DATASET_CLASSES] = {0};
    for (int i = 0; i < split.train.count; i++) {
        counts[split.train.labels[i]]++;
    }
    for (int k = 0; k < DATASET_CLASSES; k++) {
        EXPECT_EQ(counts[k], 6000) << "class " << k;
    }
    data_split_free(&split);
}

TEST(MakeSvhn, WritesLoadableBandedImages)
{
    TempDir dir;
    std::string path = dir.file("synthetic.mat");
    std::string errors = dir.file("stderr.txt");
    ASSERT_EQ(run_command(make_svhn_command("--count 25 --seed 7 --out '" + path + "'", errors)),
              0) << read_file_text(errors);

    Dataset dataset;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0) << error.message;
    ASSERT_EQ(dataset.count, 25);
    EXPECT_EQ(dataset.shape.channels, 3);
    EXPECT_EQ(dataset.shape.height, 32);
    EXPECT_EQ(dataset.shape.width, 32);

    // Rows 3*digit+1 .. 3*digit+3 contain values 192..255, every other row 0..127.
    for (int n = 0; n < dataset.count; n++) {
        int digit = dataset.labels[n];
        ASSERT_LT(digit, 10);
        const uint8_t *image = dataset.images + n * shape_size(dataset.shape);
        for (int row = 0; row < 32; row++) {
            bool in_band = row >= 3 * digit + 1 && row <= 3 * digit + 3;
            uint8_t pixel = image[row * 32 + 5];
            if (in_band) {
                EXPECT_GE(pixel, 192) << "image " << n << " row " << row;
            } else {
                EXPECT_LT(pixel, 128) << "image " << n << " row " << row;
            }
        }
    }
    dataset_free(&dataset);
    EXPECT_NE(run_command("test -e '" + path + ".tmp'"), 0) << "temporary file left behind";
}

TEST(MakeSvhn, SameSeedSameBytes)
{
    TempDir dir;
    std::string first = dir.file("first.mat"), second = dir.file("second.mat");
    std::string other = dir.file("other.mat"), errors = dir.file("stderr.txt");
    ASSERT_EQ(run_command(make_svhn_command("--count 6 --seed 3 --out '" + first + "'", errors)), 0);
    ASSERT_EQ(run_command(make_svhn_command("--count 6 --seed 3 --out '" + second + "'", errors)), 0);
    ASSERT_EQ(run_command(make_svhn_command("--count 6 --seed 4 --out '" + other + "'", errors)), 0);

    EXPECT_EQ(read_file_bytes(first), read_file_bytes(second));
    EXPECT_NE(read_file_bytes(first), read_file_bytes(other));
}

TEST(MakeSvhn, LabelClassesAndCompressionAgree)
{
    TempDir dir;
    std::string errors = dir.file("stderr.txt");
    std::string reference_path = dir.file("reference.mat");
    ASSERT_EQ(run_command(make_svhn_command("--count 9 --out '" + reference_path + "'", errors)), 0);
    Dataset reference;
    Error error{};
    ASSERT_EQ(dataset_load_svhn_mat(&reference, reference_path.c_str(), &error), 0)
        << error.message;

    const char *variants[] = {"--no-compress", "--label-class uint8", "--label-class single",
                              "--label-class int64 --no-compress"};
    for (const char *variant : variants) {
        std::string path = dir.file("variant.mat");
        ASSERT_EQ(run_command(make_svhn_command(std::string(variant) + " --count 9 --out '"
                                                    + path + "'", errors)), 0)
            << variant << ": " << read_file_text(errors);

        Dataset dataset;
        ASSERT_EQ(dataset_load_svhn_mat(&dataset, path.c_str(), &error), 0)
            << variant << ": " << error.message;
        ASSERT_EQ(dataset.count, reference.count) << variant;
        EXPECT_EQ(0, std::memcmp(dataset.labels, reference.labels, reference.count)) << variant;
        EXPECT_EQ(0, std::memcmp(dataset.images, reference.images,
                                 reference.count * shape_size(reference.shape))) << variant;
        dataset_free(&dataset);
    }
    dataset_free(&reference);
}

TEST(MakeSvhn, InvalidOptionsNameOptionAndRange)
{
    TempDir dir;
    std::string path = dir.file("never.mat");
    std::string errors = dir.file("stderr.txt");

    struct Case {
        std::string arguments;
        std::string expected;
    };
    const Case cases[] = {
        {"--count 0 --out '" + path + "'", "invalid --count '0', expected an integer 1..699050"},
        {"--count abc --out '" + path + "'", "invalid --count 'abc'"},
        {"--count ' 5' --out '" + path + "'", "invalid --count ' 5'"},
        {"--count '5 ' --out '" + path + "'", "invalid --count '5 '"},
        {"--count 5 --seed -1 --out '" + path + "'", "invalid --seed '-1'"},
        {"--count 5 --seed ' 7' --out '" + path + "'", "invalid --seed ' 7'"},
        {"--count 5 --seed ' -1' --out '" + path + "'", "invalid --seed ' -1'"},
        {"--count 5 --seed '7 ' --out '" + path + "'", "invalid --seed '7 '"},
        {"--count 5 --label-class char --out '" + path + "'", "invalid --label-class 'char'"},
        {"--count 5", "missing --out FILE"},
        {"--out '" + path + "'", "missing --count N"},
        {"--count 5 --bogus --out '" + path + "'", "unknown option '--bogus'"},
        {"--count 5 --out '" + path + "' stray",
         "unexpected argument 'stray': make-svhn takes only options"},
        {"--count", "option --count requires a value"},
    };
    for (const Case &c : cases) {
        EXPECT_EQ(run_command(make_svhn_command(c.arguments, errors)), 2) << c.arguments;
        std::string message = read_file_text(errors);
        EXPECT_NE(message.find(c.expected), std::string::npos) << c.arguments << ": " << message;
    }
    EXPECT_NE(run_command("test -e '" + path + "'"), 0) << "file written despite errors";
}

TEST(MakeSvhn, UnwritableOutputFails)
{
    TempDir dir;
    std::string path = dir.file("missing_folder/out.mat");
    std::string errors = dir.file("stderr.txt");
    EXPECT_EQ(run_command(make_svhn_command("--count 2 --out '" + path + "'", errors)), 1);
    std::string message = read_file_text(errors);
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(MakeSvhn, HelpListsOptions)
{
    TempDir dir;
    std::string output = dir.file("help.txt");
    ASSERT_EQ(run_command(std::string("'") + MAKE_SVHN_PATH + "' --help >'" + output + "'"), 0);
    std::string help = read_file_text(output);
    for (const char *option : {"--count", "--out", "--seed", "--compress", "--no-compress",
                               "--label-class"}) {
        EXPECT_NE(help.find(option), std::string::npos) << option;
    }
}
