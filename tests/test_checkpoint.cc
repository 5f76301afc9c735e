// Checkpoint files: a round trip keeps every value, the write is atomic, and
// each kind of damaged or mismatched file is rejected with a message that
// names the file and the problem.

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "svhn/checkpoint.h"

namespace {

const Shape kShape = {1, 8, 8};
const int kExamples = 30;
const int kEpochsDone = 2;

std::vector<unsigned char> read_bytes(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(file), {});
}

void write_bytes(const std::string &path, const std::vector<unsigned char> &bytes)
{
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char *>(bytes.data()), static_cast<long>(bytes.size()));
}

// Recomputes the CRC-32 trailer after a test edits the contents, so the
// reader gets past the checksum to the check under test.
void fix_crc(std::vector<unsigned char> &bytes)
{
    const size_t end = bytes.size() - 4;
    uint32_t crc = static_cast<uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(end)));
    for (int i = 0; i < 4; i++) {
        bytes[end + i] = static_cast<unsigned char>(crc >> (8 * i));
    }
}

// Offset of the first dimension of tensor `name` in the table, found by
// walking the entries as docs/checkpoint-format.md lays them out.
size_t find_first_dim(const std::vector<unsigned char> &bytes, const std::string &name)
{
    const uint32_t count = bytes[16] | bytes[17] << 8 | bytes[18] << 16 |
                           static_cast<uint32_t>(bytes[19]) << 24;
    size_t p = 32;
    for (uint32_t i = 0; i < count; i++) {
        size_t name_length = bytes[p] | bytes[p + 1] << 8;
        std::string entry_name(reinterpret_cast<const char *>(&bytes[p + 2]), name_length);
        size_t rank = bytes[p + 2 + name_length + 1];
        size_t dims = p + 2 + name_length + 2;
        if (entry_name == name) {
            return dims;
        }
        p = dims + 8 * rank + 8;
    }
    return 0;
}

// An MLP with distinct parameter values, an Adam optimizer with state, and
// a position in the third epoch, saved to a temporary folder.
class CheckpointFile : public ::testing::Test {
protected:
    void SetUp() override
    {
        char folder_template[] = "/tmp/svhn-checkpoint-test-XXXXXX";
        ASSERT_NE(mkdtemp(folder_template), nullptr);
        folder_ = folder_template;
        path_ = folder_ + "/model.ckpt";

        Error error = {};
        network_ = model_create(MODEL_MLP, kShape, DATASET_CLASSES, 4, BACKEND_REFERENCE,
                                &error);
        ASSERT_NE(network_, nullptr) << error.message;
        for (size_t i = 0; i < network_->param_count; i++) {
            network_->params[i] = 0.001f * static_cast<float>(i % 997) - 0.5f;
        }
        OptimizerConfig config = optimizer_default_config(OPTIMIZER_ADAM);
        ASSERT_EQ(optimizer_init(&optimizer_, &config, network_->param_count, &error), 0);
        for (size_t i = 0; i < network_->param_count; i++) {
            optimizer_.moment1[i] = static_cast<float>(i) * 1e-6f;
            optimizer_.moment2[i] = static_cast<float>(i % 13) * 1e-3f;
        }
        optimizer_.step = 17;

        for (int i = 0; i < kExamples; i++) {
            order_.push_back((i * 7) % kExamples);
        }
        for (int e = 0; e < kEpochsDone; e++) {
            EpochMetrics m = {};
            m.epoch = e + 1;
            m.train_loss = 1.5 - 0.25 * e;
            m.test_accuracy = 0.6 + 0.1 * e;
            history_.push_back(m);
        }
        progress_.epochs_done = kEpochsDone;
        progress_.steps_in_epoch = 3;
        progress_.steps_done = 17;
        progress_.epoch_loss_sum = 12.375;
        progress_.epoch_correct = 9;
        rng_seed(&progress_.shuffle_rng, 99);
        progress_.order = order_.data();
        progress_.order_count = kExamples;
        progress_.history = history_.data();
        progress_.normalization.mean[0] = 0.25f;
        progress_.normalization.std[0] = 0.125f;

        ASSERT_EQ(save(path_, &error), 0) << error.message;
    }

    void TearDown() override
    {
        optimizer_free(&optimizer_);
        network_free(network_);
        std::string command = "rm -rf '" + folder_ + "'";
        ASSERT_EQ(std::system(command.c_str()), 0);
    }

    int save(const std::string &path, Error *error)
    {
        CheckpointSource source = {};
        source.model = MODEL_MLP;
        source.classes = DATASET_CLASSES;
        source.batch_size = 4;
        source.seed = 5;
        source.network = network_;
        source.optimizer = &optimizer_;
        source.progress = &progress_;
        return checkpoint_save(path.c_str(), &source, error);
    }

    // Loads path, expects a failure and returns the message.
    std::string load_error(const std::string &path)
    {
        Checkpoint checkpoint;
        Error error = {};
        EXPECT_NE(checkpoint_load(path.c_str(), &checkpoint, &error), 0);
        EXPECT_EQ(checkpoint.params, nullptr);
        return error.message;
    }

    std::string folder_;
    std::string path_;
    Network *network_ = nullptr;
    Optimizer optimizer_ = {};
    std::vector<int> order_;
    std::vector<EpochMetrics> history_;
    TrainProgress progress_ = {};
};

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_F(CheckpointFile, RoundTripKeepsEveryValue)
{
    Checkpoint loaded;
    Error error = {};
    ASSERT_EQ(checkpoint_load(path_.c_str(), &loaded, &error), 0) << error.message;

    EXPECT_EQ(loaded.model, MODEL_MLP);
    EXPECT_EQ(loaded.input_shape.channels, 1);
    EXPECT_EQ(loaded.input_shape.height, 8);
    EXPECT_EQ(loaded.input_shape.width, 8);
    EXPECT_EQ(loaded.classes, DATASET_CLASSES);
    EXPECT_EQ(loaded.batch_size, 4);
    EXPECT_EQ(loaded.seed, 5u);
    ASSERT_EQ(loaded.param_count, network_->param_count);
    EXPECT_EQ(std::memcmp(loaded.params, network_->params,
                          network_->param_count * sizeof(float)), 0);

    EXPECT_EQ(loaded.optimizer.config.kind, OPTIMIZER_ADAM);
    EXPECT_EQ(loaded.optimizer.config.learning_rate, optimizer_.config.learning_rate);
    EXPECT_EQ(loaded.optimizer.config.beta2, optimizer_.config.beta2);
    EXPECT_EQ(loaded.optimizer.step, 17);
    EXPECT_EQ(std::memcmp(loaded.optimizer.moment1, optimizer_.moment1,
                          network_->param_count * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(loaded.optimizer.moment2, optimizer_.moment2,
                          network_->param_count * sizeof(float)), 0);

    const TrainProgress &p = loaded.progress;
    EXPECT_EQ(p.epochs_done, kEpochsDone);
    EXPECT_EQ(p.steps_in_epoch, 3);
    EXPECT_EQ(p.steps_done, 17);
    EXPECT_EQ(p.epoch_loss_sum, 12.375);
    EXPECT_EQ(p.epoch_correct, 9);
    EXPECT_EQ(std::memcmp(p.shuffle_rng.state, progress_.shuffle_rng.state,
                          sizeof p.shuffle_rng.state), 0);
    ASSERT_EQ(p.order_count, kExamples);
    EXPECT_EQ(std::vector<int>(p.order, p.order + kExamples), order_);
    EXPECT_EQ(p.normalization.mean[0], 0.25f);
    EXPECT_EQ(p.normalization.std[0], 0.125f);
    EXPECT_EQ(p.history[1].epoch, 2);
    EXPECT_EQ(p.history[1].train_loss, 1.25);
    EXPECT_EQ(p.history[1].test_accuracy, history_[1].test_accuracy);
    checkpoint_free(&loaded);
}

TEST_F(CheckpointFile, SaveLeavesNoTemporaryFile)
{
    Error error = {};
    ASSERT_EQ(save(path_, &error), 0) << error.message;
    DIR *folder = opendir(folder_.c_str());
    ASSERT_NE(folder, nullptr);
    std::vector<std::string> names;
    while (dirent *entry = readdir(folder)) {
        if (entry->d_name[0] != '.') {
            names.push_back(entry->d_name);
        }
    }
    closedir(folder);
    EXPECT_EQ(names, std::vector<std::string>{"model.ckpt"});
}

// Renaming over a folder fails after the temporary file is complete: the
// folder must survive and the temporary file must be removed.
TEST_F(CheckpointFile, FailedSaveKeepsTargetAndCleansUp)
{
    const std::string target = folder_ + "/occupied";
    ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
    Error error = {};
    EXPECT_NE(save(target, &error), 0);
    EXPECT_TRUE(contains(error.message, target)) << error.message;

    std::vector<unsigned char> before = read_bytes(path_);
    EXPECT_NE(save(folder_ + "/missing-folder/model.ckpt", &error), 0);
    EXPECT_TRUE(contains(error.message, "missing-folder")) << error.message;
    EXPECT_EQ(read_bytes(path_), before);

    DIR *folder = opendir(folder_.c_str());
    ASSERT_NE(folder, nullptr);
    int entries = 0;
    while (dirent *entry = readdir(folder)) {
        entries += entry->d_name[0] != '.';
    }
    closedir(folder);
    EXPECT_EQ(entries, 2) << "a temporary file was left behind";
}

TEST_F(CheckpointFile, MissingFileIsRejected)
{
    std::string message = load_error(folder_ + "/absent.ckpt");
    EXPECT_TRUE(contains(message, "absent.ckpt")) << message;
    EXPECT_TRUE(contains(message, "No such file")) << message;
}

TEST_F(CheckpointFile, WrongMagicIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    bytes[0] = 'X';
    write_bytes(path_, bytes);
    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "wrong magic number")) << message;
}

TEST_F(CheckpointFile, UnsupportedVersionIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    bytes[8] = 2;
    write_bytes(path_, bytes);
    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "unsupported checkpoint format version 2")) << message;
}

TEST_F(CheckpointFile, FlippedByteFailsChecksum)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    bytes[bytes.size() / 2] ^= 0x10;
    write_bytes(path_, bytes);
    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "checksum mismatch")) << message;
}

TEST_F(CheckpointFile, TruncatedFileIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    for (size_t size : {bytes.size() - 1, bytes.size() / 2, size_t{20}}) {
        write_bytes(path_, std::vector<unsigned char>(bytes.begin(), bytes.begin() + size));
        std::string message = load_error(path_);
        EXPECT_TRUE(contains(message, path_)) << message;
        EXPECT_TRUE(contains(message, "truncated")) << size << " bytes: " << message;
    }
}

TEST_F(CheckpointFile, TensorShapeMismatchIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    size_t dim = find_first_dim(bytes, "linear1.weight");
    ASSERT_NE(dim, 0u);
    EXPECT_EQ(bytes[dim], 1024 & 0xff);
    EXPECT_EQ(bytes[dim + 1], 1024 >> 8);
    bytes[dim + 1] = 512 >> 8;  // (1024, 64) becomes (512, 64)
    fix_crc(bytes);
    write_bytes(path_, bytes);

    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "'linear1.weight' has shape (512, 64), expected (1024, 64)"))
        << message;
}

TEST_F(CheckpointFile, OtherModelOrInputShapeIsRejected)
{
    Checkpoint loaded;
    Error error = {};
    ASSERT_EQ(checkpoint_load(path_.c_str(), &loaded, &error), 0) << error.message;

    EXPECT_NE(checkpoint_check_model(&loaded, path_.c_str(), MODEL_LNET, kShape, &error), 0);
    EXPECT_TRUE(contains(error.message, path_)) << error.message;
    EXPECT_TRUE(contains(error.message, "holds model mlp but lnet was requested"))
        << error.message;

    Shape other = {3, 8, 8};
    EXPECT_NE(checkpoint_check_model(&loaded, path_.c_str(), MODEL_MLP, other, &error), 0);
    EXPECT_TRUE(contains(error.message, "input shape is 1x8x8 but the data is 3x8x8"))
        << error.message;

    EXPECT_EQ(checkpoint_check_model(&loaded, path_.c_str(), MODEL_MLP, kShape, &error), 0);
    checkpoint_free(&loaded);
}

// meta.input_shape of 1x4096x4096 would make the MLP need 17 billion
// parameters; the reader must reject that from the file size before it
// builds the model to describe the tensors.
TEST_F(CheckpointFile, InputShapePastFileSizeIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    size_t dim = find_first_dim(bytes, "meta.input_shape");
    ASSERT_NE(dim, 0u);
    EXPECT_EQ(bytes[dim], 3);  // rank 1, dims (3)
    size_t data = 0;
    for (int i = 7; i >= 0; i--) {
        data = data << 8 | bytes[dim + 8 + i];
    }
    ASSERT_LT(data + 24, bytes.size());
    const int64_t shape[3] = {1, 4096, 4096};
    for (int d = 0; d < 3; d++) {
        for (int i = 0; i < 8; i++) {
            bytes[data + 8 * d + i] = static_cast<unsigned char>(shape[d] >> (8 * i));
        }
    }
    fix_crc(bytes);
    write_bytes(path_, bytes);

    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "model mlp on input shape 1x4096x4096 needs at least "
                                  "17179869184 parameters")) << message;
    EXPECT_TRUE(contains(message, "more than the " + std::to_string(bytes.size()) +
                                      "-byte file can contain")) << message;
}

// train.steps_in_epoch is an int in memory: 2^32 + 1 must be rejected, not
// truncated to 1.
TEST_F(CheckpointFile, StepsInEpochOverIntIsRejected)
{
    std::vector<unsigned char> bytes = read_bytes(path_);
    size_t entry_end = find_first_dim(bytes, "train.steps_in_epoch");
    ASSERT_NE(entry_end, 0u);
    size_t data = 0;  // a scalar has no dims, so its data offset comes next
    for (int i = 7; i >= 0; i--) {
        data = data << 8 | bytes[entry_end + i];
    }
    ASSERT_LT(data + 8, bytes.size());
    const int64_t steps = (int64_t{1} << 32) + 1;
    for (int i = 0; i < 8; i++) {
        bytes[data + i] = static_cast<unsigned char>(steps >> (8 * i));
    }
    fix_crc(bytes);
    write_bytes(path_, bytes);

    std::string message = load_error(path_);
    EXPECT_TRUE(contains(message, path_)) << message;
    EXPECT_TRUE(contains(message, "invalid position")) << message;
    EXPECT_TRUE(contains(message, "train.steps_in_epoch 4294967297")) << message;
}
