// End-to-end checks of the trainer: a short real training run, divergence
// detection, the CSV log and determinism.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <unistd.h>

#include "svhn/dataset.h"
#include "svhn/metrics_log.h"
#include "svhn/models.h"
#include "svhn/trainer.h"

namespace {

const char *fashion_mnist_dir()
{
    return std::getenv("FASHION_MNIST_DIR");
}

std::string read_file(const std::string &path)
{
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// A small in-memory data split: `count` images of `shape` whose mean pixel
// value depends on the class, so a model can learn it.
DataSplit make_split(Shape shape, int train_count, int test_count)
{
    DataSplit split = {};
    split.kind = DATASET_MNIST;
    Dataset *sets[2] = {&split.train, &split.test};
    int counts[2] = {train_count, test_count};
    unsigned state = 12345;

    for (int s = 0; s < 2; s++) {
        Dataset *set = sets[s];
        set->count = counts[s];
        set->shape = shape;
        set->images = static_cast<uint8_t *>(std::malloc(counts[s] * shape_size(shape)));
        set->labels = static_cast<uint8_t *>(std::malloc(counts[s]));
        for (int n = 0; n < counts[s]; n++) {
            set->labels[n] = static_cast<uint8_t>(n % DATASET_CLASSES);
            for (size_t i = 0; i < shape_size(shape); i++) {
                state = state * 1103515245u + 12345u;
                int noise = static_cast<int>((state >> 16) % 64);
                set->images[n * shape_size(shape) + i] =
                    static_cast<uint8_t>(set->labels[n] * 19 + noise);
            }
        }
    }
    return split;
}

struct TrainResult {
    int status;
    std::string error;
    std::string output;
};

TrainResult train(ModelKind model, const DataSplit &split, int epochs, int batch_size,
                  uint64_t seed, const char *log_path)
{
    Error error = {};
    Network *network = model_create(model, split.train.shape, DATASET_CLASSES,
                                    batch_size, BACKEND_REFERENCE, &error);
    EXPECT_NE(network, nullptr) << error.message;
    Rng rng;
    rng_seed(&rng, seed);
    network_init_params(network, &rng);

    Optimizer optimizer;
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_ADAM);
    EXPECT_EQ(optimizer_init(&optimizer, &config, network->param_count, &error), 0);

    TrainConfig train_config = {};
    train_config.epochs = epochs;
    train_config.batch_size = batch_size;
    train_config.seed = seed;
    train_config.log_path = log_path;

    char *text = nullptr;
    size_t text_size = 0;
    FILE *out = open_memstream(&text, &text_size);
    int status = train_run(network, &optimizer, &split, &train_config, out, &error);
    std::fclose(out);

    TrainResult result = {status, error.message, text};
    std::free(text);
    optimizer_free(&optimizer);
    network_free(network);
    return result;
}

}  // namespace

// LNet on a few thousand real Fashion-MNIST images for two epochs. Chance is
// 10%; this run reaches about 75% (seed 1), so 60% catches a broken layer,
// loss or optimizer without being sensitive to small numeric changes.
TEST(Training, LnetLearnsFashionMnist)
{
    if (fashion_mnist_dir() == nullptr) {
        GTEST_SKIP() << "FASHION_MNIST_DIR is not set";
    }
    DataSplit split;
    Error error = {};
    ASSERT_EQ(data_split_load(&split, fashion_mnist_dir(), DATASET_MNIST, &error), 0)
        << error.message;
    dataset_truncate(&split.train, 4000);
    dataset_truncate(&split.test, 1000);

    TrainResult result = train(MODEL_LNET, split, 2, 100, 1, nullptr);
    data_split_free(&split);

    ASSERT_EQ(result.status, 0) << result.error;
    double test_accuracy = 0.0;
    size_t last_line = result.output.rfind("test acc");
    ASSERT_NE(last_line, std::string::npos) << result.output;
    test_accuracy = std::atof(result.output.c_str() + last_line + 8);
    EXPECT_GT(test_accuracy, 60.0) << result.output;
}

TEST(Training, NanLossStopsWithEpochAndStep)
{
    DataSplit split = make_split({1, 8, 8}, 40, 10);
    Error error = {};
    Network *network = model_create(MODEL_MLP, split.train.shape, DATASET_CLASSES, 10,
                                    BACKEND_REFERENCE, &error);
    ASSERT_NE(network, nullptr) << error.message;
    for (size_t i = 0; i < network->param_count; i++) {
        network->params[i] = NAN;
    }
    Optimizer optimizer;
    OptimizerConfig config = optimizer_default_config(OPTIMIZER_SGD);
    ASSERT_EQ(optimizer_init(&optimizer, &config, network->param_count, &error), 0);
    TrainConfig train_config = {};
    train_config.epochs = 2;
    train_config.batch_size = 10;
    train_config.seed = 3;

    FILE *out = std::tmpfile();
    int status = train_run(network, &optimizer, &split, &train_config, out, &error);
    std::fclose(out);

    EXPECT_EQ(status, TRAIN_DIVERGED);
    EXPECT_NE(std::string(error.message).find("NaN"), std::string::npos) << error.message;
    EXPECT_NE(std::string(error.message).find("epoch 1, step 1"), std::string::npos)
        << error.message;
    optimizer_free(&optimizer);
    network_free(network);
    data_split_free(&split);
}

TEST(Training, CsvLogRowPerEpoch)
{
    DataSplit split = make_split({1, 8, 8}, 50, 20);
    char folder[] = "/tmp/svhn-trainer-test-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    std::string log_path = std::string(folder) + "/metrics.csv";
    // A user's file next to the log, with the name a fixed temporary name
    // would take, must survive the log's updates.
    const std::string neighbour = log_path + ".tmp";
    {
        std::ofstream keep(neighbour);
        keep << "keep me\n";
    }

    TrainResult result = train(MODEL_MLP, split, 3, 16, 7, log_path.c_str());
    ASSERT_EQ(result.status, 0) << result.error;

    std::istringstream log(read_file(log_path));
    std::string line;
    std::getline(log, line);
    EXPECT_EQ(line, METRICS_LOG_HEADER);
    int rows = 0;
    while (std::getline(log, line)) {
        rows++;
        EXPECT_EQ(line.rfind(std::to_string(rows) + ",", 0), 0u) << line;
        int commas = 0;
        for (char c : line) {
            commas += c == ',';
        }
        EXPECT_EQ(commas, 7) << line;
    }
    EXPECT_EQ(rows, 3);
    EXPECT_EQ(read_file(neighbour), "keep me\n");
    DIR *listing = opendir(folder);
    ASSERT_NE(listing, nullptr);
    int entries = 0;
    while (const dirent *entry = readdir(listing)) {
        const std::string name = entry->d_name;
        EXPECT_EQ(name.find(".tmp."), std::string::npos) << "temporary log file left: " << name;
        entries += name != "." && name != "..";
    }
    closedir(listing);
    EXPECT_EQ(entries, 2) << "expected only the log and the neighbouring file";

    std::remove(neighbour.c_str());
    std::remove(log_path.c_str());
    rmdir(folder);
    data_split_free(&split);
}

// The last batch of an epoch is smaller (50 = 3 x 16 + 2) and must train too.
TEST(Training, SeedDeterminesLosses)
{
    DataSplit split = make_split({1, 8, 8}, 50, 20);

    TrainResult first = train(MODEL_LNET, split, 2, 16, 11, nullptr);
    TrainResult second = train(MODEL_LNET, split, 2, 16, 11, nullptr);
    TrainResult other = train(MODEL_LNET, split, 2, 16, 12, nullptr);
    ASSERT_EQ(first.status, 0) << first.error;

    // Lines differ only in the timing columns, so compare up to "ex/s".
    auto figures = [](const std::string &output) {
        std::string kept;
        std::istringstream lines(output);
        std::string line;
        while (std::getline(lines, line)) {
            kept += line.substr(0, line.find("test acc") + 17) + "\n";
        }
        return kept;
    };
    EXPECT_EQ(figures(first.output), figures(second.output));
    EXPECT_NE(figures(first.output), figures(other.output));
    data_split_free(&split);
}
