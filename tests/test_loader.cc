// Checks of the batch loader: coverage and order of every pass, bit-identical
// batches against the synchronous reference, and a clean stop (thread joined,
// memory returned) from either side at any point. These tests also run under
// ThreadSanitizer in CI (.ci/run).

#include <gtest/gtest.h>

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "svhn/loader.h"
#include "svhn/models.h"
#include "svhn/rng.h"
#include "svhn/trainer.h"

namespace {

// The trainer seeds its shuffle with the run seed mixed with this constant.
const uint64_t kShuffleSeedMix = 0x5368756666ull;

// Number of running loader threads, found by name, so that OpenMP worker
// threads started by other code are not counted.
int loader_thread_count()
{
    DIR *tasks = opendir("/proc/self/task");
    int count = 0;
    while (dirent *entry = readdir(tasks)) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        std::string path = std::string("/proc/self/task/") + entry->d_name + "/comm";
        std::ifstream comm(path);
        std::string name;
        std::getline(comm, name);
        count += name == LOADER_THREAD_NAME;
    }
    closedir(tasks);
    return count;
}

// Polls loader_thread_count for up to one second until it is `expected`,
// and returns the last count. pthread_join can return before the kernel
// removes the thread's /proc entry, so the count can lag for a moment.
int settled_loader_thread_count(int expected)
{
    int count = loader_thread_count();
    for (int i = 0; i < 100 && count != expected; i++) {
        usleep(10000);
        count = loader_thread_count();
    }
    return count;
}

// Bytes allocated with malloc and not yet freed: glibc's main arena plus its
// mmap-ed blocks, which hold the large image buffers.
size_t allocated_bytes()
{
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

// glibc's per-thread cache (tcache) keeps freed small blocks that mallinfo2
// still counts as allocated, so allocated_bytes shows leaks only when it is
// off. ctest turns it off (tests/CMakeLists.txt).
// NOTE: under ThreadSanitizer, whose allocator serves malloc, mallinfo2 may
// not see the loader's blocks at all, so the check is weaker there.
bool leak_check_enabled()
{
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    return tunables != nullptr &&
           std::strstr(tunables, "glibc.malloc.tcache_count=0") != nullptr;
}

// Expects no net allocation since `before`, when the check is enabled.
#define EXPECT_NO_LEAK(before)                                                   \
    do {                                                                         \
        if (leak_check_enabled()) {                                              \
            EXPECT_EQ(allocated_bytes(), (before)) << "bytes still allocated";   \
        } else {                                                                 \
            std::printf("leak check skipped: run with "                          \
                        "GLIBC_TUNABLES=glibc.malloc.tcache_count=0\n");         \
        }                                                                        \
    } while (0)

// Creates a loader, takes two batches and stops it, so that the one-time
// allocations of the C and OpenMP runtimes (thread stack cache, OpenMP
// thread data) happen before a leak check.
void warm_up_loader(const LoaderConfig &config)
{
    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    for (int i = 0; i < 2; i++) {
        LoaderBatch *batch = nullptr;
        ASSERT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
        loader_release(loader, batch);
    }
    loader_destroy(loader);
}

// A dataset whose pixel values depend on the example index, so a batch shows
// which examples it holds.
struct TestSet {
    Dataset dataset = {};
    float mean[3] = {0.4f, 0.5f, 0.6f};
    float std[3] = {0.2f, 0.25f, 0.3f};

    TestSet(int count, Shape shape)
    {
        dataset.count = count;
        dataset.shape = shape;
        dataset.images = static_cast<uint8_t *>(std::malloc(count * shape_size(shape)));
        dataset.labels = static_cast<uint8_t *>(std::malloc(count));
        for (int n = 0; n < count; n++) {
            dataset.labels[n] = static_cast<uint8_t>(n % DATASET_CLASSES);
            for (size_t i = 0; i < shape_size(shape); i++) {
                dataset.images[n * shape_size(shape) + i] =
                    static_cast<uint8_t>((n * 31 + i * 7) & 0xff);
            }
        }
    }
    ~TestSet() { dataset_free(&dataset); }

    LoaderConfig config(int batch_size, int passes, int depth, int shuffle,
                        uint64_t seed) const
    {
        LoaderConfig config = {};
        config.dataset = &dataset;
        config.mean = mean;
        config.std = std;
        config.batch_size = batch_size;
        config.passes = passes;
        config.depth = depth;
        config.shuffle = shuffle;
        config.shuffle_seed = seed;
        return config;
    }
};

// One batch as the synchronous trainer built it.
struct ReferenceBatch {
    std::vector<int> indices;
    std::vector<float> images;
    std::vector<uint8_t> labels;
};

// Builds every batch of `passes` passes the way the trainer did before the
// loader existed: one generator, one running order shuffled at the start of
// each pass, dataset_gather_batch on consecutive slices.
std::vector<ReferenceBatch> reference_batches(const TestSet &set, int batch_size,
                                              int passes, uint64_t seed)
{
    const Dataset &data = set.dataset;
    std::vector<int> order(data.count);
    for (int i = 0; i < data.count; i++) {
        order[i] = i;
    }
    Rng rng;
    rng_seed(&rng, seed);

    std::vector<ReferenceBatch> batches;
    for (int pass = 0; pass < passes; pass++) {
        rng_shuffle(&rng, order.data(), data.count);
        for (int start = 0; start < data.count; start += batch_size) {
            int count = std::min(batch_size, data.count - start);
            ReferenceBatch batch;
            batch.indices.assign(order.begin() + start, order.begin() + start + count);
            batch.images.resize(count * shape_size(data.shape));
            batch.labels.resize(count);
            dataset_gather_batch(batch.images.data(), batch.labels.data(), &data,
                                 batch.indices.data(), count, set.mean, set.std);
            batches.push_back(batch);
        }
    }
    return batches;
}

// Takes every batch of every pass, recording the example indices.
std::vector<std::vector<int>> take_all_indices(Loader *loader, int passes)
{
    std::vector<std::vector<int>> indices;
    Error error = {};
    for (int i = 0; i < passes * loader_steps_per_pass(loader); i++) {
        LoaderBatch *batch = nullptr;
        EXPECT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
        if (batch == nullptr) {
            break;
        }
        indices.emplace_back(batch->indices, batch->indices + batch->count);
        loader_release(loader, batch);
    }
    return indices;
}

// Fails the batch at (fail_pass, fail_step) with a read error, and counts the
// batches it saw.
struct FailingHook {
    int fail_pass;
    int fail_step;
    std::atomic<int> calls{0};

    static int call(void *context, const LoaderBatch *batch, Error *error)
    {
        FailingHook *hook = static_cast<FailingHook *>(context);
        hook->calls++;
        if (batch->pass == hook->fail_pass && batch->step == hook->fail_step) {
            error_set(error, "read error injected at pass %d, step %d", batch->pass,
                      batch->step);
            return -1;
        }
        return 0;
    }
};

}  // namespace

TEST(Loader, EveryExampleOncePerPass)
{
    TestSet set(103, {3, 4, 4});
    for (int depth : {0, 2, 4}) {
        LoaderConfig config = set.config(10, 3, depth, 1, 5);
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;
        ASSERT_EQ(loader_steps_per_pass(loader), 11);

        std::vector<std::vector<int>> batches = take_all_indices(loader, 3);
        ASSERT_EQ(batches.size(), 33u);
        for (int pass = 0; pass < 3; pass++) {
            std::vector<int> seen(103, 0);
            for (int step = 0; step < 11; step++) {
                for (int index : batches[pass * 11 + step]) {
                    ASSERT_GE(index, 0);
                    ASSERT_LT(index, 103);
                    seen[index]++;
                }
            }
            for (int i = 0; i < 103; i++) {
                EXPECT_EQ(seen[i], 1) << "example " << i << ", pass " << pass
                                      << ", depth " << depth;
            }
        }
        loader_destroy(loader);
    }
}

TEST(Loader, MatchesSynchronousPathBitForBit)
{
    TestSet set(57, {3, 4, 4});
    const uint64_t seed = 11 ^ kShuffleSeedMix;
    std::vector<ReferenceBatch> expected = reference_batches(set, 8, 3, seed);

    for (int depth : {0, 1, 2, 3, 16}) {
        LoaderConfig config = set.config(8, 3, depth, 1, seed);
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;

        for (size_t i = 0; i < expected.size(); i++) {
            LoaderBatch *batch = nullptr;
            ASSERT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
            const ReferenceBatch &want = expected[i];
            ASSERT_EQ(batch->count, static_cast<int>(want.indices.size()))
                << "batch " << i << ", depth " << depth;
            EXPECT_EQ(batch->pass, static_cast<int>(i / 8));
            EXPECT_EQ(batch->step, static_cast<int>(i % 8));
            EXPECT_EQ(std::vector<int>(batch->indices, batch->indices + batch->count),
                      want.indices) << "batch " << i << ", depth " << depth;
            EXPECT_EQ(std::memcmp(batch->images, want.images.data(),
                                  want.images.size() * sizeof(float)), 0)
                << "image floats differ in batch " << i << ", depth " << depth;
            EXPECT_EQ(std::memcmp(batch->labels, want.labels.data(), want.labels.size()), 0)
                << "labels differ in batch " << i << ", depth " << depth;
            loader_release(loader, batch);
        }
        loader_destroy(loader);
    }
}

TEST(Loader, DifferentSeedsGiveDifferentOrders)
{
    TestSet set(64, {1, 2, 2});
    std::vector<std::vector<std::vector<int>>> orders;
    for (uint64_t seed : {1u, 2u}) {
        LoaderConfig config = set.config(16, 2, 2, 1, seed);
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;
        orders.push_back(take_all_indices(loader, 2));
        loader_destroy(loader);
    }
    EXPECT_NE(orders[0], orders[1]);

    // Each pass is reshuffled, so two passes of one run differ too.
    std::vector<std::vector<int>> first_pass(orders[0].begin(), orders[0].begin() + 4);
    std::vector<std::vector<int>> second_pass(orders[0].begin() + 4, orders[0].end());
    EXPECT_NE(first_pass, second_pass);
}

TEST(Loader, LastBatchOfPassIsSmaller)
{
    TestSet set(25, {1, 2, 2});
    LoaderConfig config = set.config(8, 2, 3, 1, 9);
    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    ASSERT_EQ(loader_steps_per_pass(loader), 4);

    std::vector<std::vector<int>> batches = take_all_indices(loader, 2);
    ASSERT_EQ(batches.size(), 8u);
    for (int pass = 0; pass < 2; pass++) {
        EXPECT_EQ(batches[pass * 4 + 0].size(), 8u);
        EXPECT_EQ(batches[pass * 4 + 2].size(), 8u);
        EXPECT_EQ(batches[pass * 4 + 3].size(), 1u) << "pass " << pass;
    }
    loader_destroy(loader);
}

TEST(Loader, EvaluationBatchesInDatasetOrder)
{
    TestSet set(21, {3, 2, 2});
    std::vector<int> all(21);
    for (int i = 0; i < 21; i++) {
        all[i] = i;
    }
    for (int depth : {0, 2}) {
        LoaderConfig config = set.config(5, 2, depth, 0, 123);
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;

        for (int pass = 0; pass < 2; pass++) {
            std::vector<int> seen;
            std::vector<float> images;
            for (int step = 0; step < 5; step++) {
                LoaderBatch *batch = nullptr;
                ASSERT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
                seen.insert(seen.end(), batch->indices, batch->indices + batch->count);
                images.insert(images.end(), batch->images,
                              batch->images + batch->count * shape_size(set.dataset.shape));
                loader_release(loader, batch);
            }
            EXPECT_EQ(seen, all) << "pass " << pass << ", depth " << depth;

            std::vector<float> expected(21 * shape_size(set.dataset.shape));
            std::vector<uint8_t> labels(21);
            dataset_gather_batch(expected.data(), labels.data(), &set.dataset, all.data(), 21,
                                 set.mean, set.std);
            EXPECT_EQ(std::memcmp(images.data(), expected.data(),
                                  expected.size() * sizeof(float)), 0)
                << "pass " << pass << ", depth " << depth;
        }
        loader_destroy(loader);
    }
}

// The consumer stops in the middle of a pass, while the loader thread is
// filling the ring or waiting on a full one.
TEST(Loader, ConsumerStopMidPassJoinsThread)
{
    TestSet set(200, {3, 8, 8});
    LoaderConfig config = set.config(10, 5, 3, 1, 4);
    warm_up_loader(config);
    const size_t bytes_before = allocated_bytes();

    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    EXPECT_EQ(settled_loader_thread_count(1), 1);

    for (int i = 0; i < 7; i++) {
        LoaderBatch *batch = nullptr;
        ASSERT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
        loader_release(loader, batch);
    }
    // One batch is still held when the loader stops, and its buffer must be
    // freed too.
    LoaderBatch *held = nullptr;
    ASSERT_EQ(loader_next(loader, &held, &error), 0) << error.message;
    loader_destroy(loader);

    EXPECT_EQ(settled_loader_thread_count(0), 0);
    EXPECT_NO_LEAK(bytes_before);
}

// A read error on the loader side reaches the consumer after the batches
// prepared before it, and stopping afterwards joins the thread.
TEST(Loader, LoaderSideErrorStopsCleanly)
{
    TestSet set(40, {3, 4, 4});
    for (int depth : {0, 3}) {
        LoaderConfig config = set.config(8, 3, depth, 1, 6);
        warm_up_loader(config);
        const size_t bytes_before = allocated_bytes();

        FailingHook hook;
        hook.fail_pass = 1;
        hook.fail_step = 2;
        config.batch_hook = FailingHook::call;
        config.hook_context = &hook;
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;

        // Pass 0 has 5 batches, so the failing batch is the 8th.
        for (int i = 0; i < 7; i++) {
            LoaderBatch *batch = nullptr;
            ASSERT_EQ(loader_next(loader, &batch, &error), 0)
                << "batch " << i << ", depth " << depth << ": " << error.message;
            loader_release(loader, batch);
        }
        LoaderBatch *batch = nullptr;
        EXPECT_EQ(loader_next(loader, &batch, &error), -1) << "depth " << depth;
        EXPECT_STREQ(error.message, "read error injected at pass 1, step 2");

        // The error stays: asking again fails the same way instead of blocking.
        Error again = {};
        EXPECT_EQ(loader_next(loader, &batch, &again), -1);
        EXPECT_STREQ(again.message, "read error injected at pass 1, step 2");

        loader_destroy(loader);
        EXPECT_EQ(hook.calls.load(), 8) << "depth " << depth;
        EXPECT_EQ(settled_loader_thread_count(0), 0) << "depth " << depth;
        EXPECT_NO_LEAK(bytes_before);
    }
}

TEST(Loader, RepeatedStartStopCycles)
{
    TestSet set(50, {3, 4, 4});
    warm_up_loader(set.config(7, 2, 0, 1, 0));
    warm_up_loader(set.config(7, 2, 2, 1, 0));
    const size_t bytes_before = allocated_bytes();

    for (int cycle = 0; cycle < 30; cycle++) {
        LoaderConfig config = set.config(7, 2, 1 + cycle % 4, cycle % 2, cycle);
        Error error = {};
        Loader *loader = loader_create(&config, &error);
        ASSERT_NE(loader, nullptr) << error.message;

        // Cycle 0 stops before taking anything. Later cycles stop at
        // different places, and the last ones after every batch.
        int batches = cycle % 17;
        for (int i = 0; i < batches; i++) {
            LoaderBatch *batch = nullptr;
            ASSERT_EQ(loader_next(loader, &batch, &error), 0)
                << "cycle " << cycle << ": " << error.message;
            loader_release(loader, batch);
        }
        loader_destroy(loader);
        ASSERT_EQ(settled_loader_thread_count(0), 0) << "cycle " << cycle;
    }
    EXPECT_NO_LEAK(bytes_before);
}

TEST(Loader, NextAfterLastPassFails)
{
    TestSet set(10, {1, 2, 2});
    LoaderConfig config = set.config(4, 1, 2, 1, 1);
    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    ASSERT_EQ(take_all_indices(loader, 1).size(), 3u);

    LoaderBatch *batch = nullptr;
    EXPECT_EQ(loader_next(loader, &batch, &error), -1);
    EXPECT_NE(std::string(error.message).find("already handed out"), std::string::npos)
        << error.message;
    loader_destroy(loader);
}

TEST(Loader, HoldingMoreThanDepthFails)
{
    TestSet set(30, {1, 2, 2});
    LoaderConfig config = set.config(4, 1, 2, 1, 1);
    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;

    LoaderBatch *first = nullptr;
    LoaderBatch *second = nullptr;
    LoaderBatch *third = nullptr;
    ASSERT_EQ(loader_next(loader, &first, &error), 0) << error.message;
    ASSERT_EQ(loader_next(loader, &second, &error), 0) << error.message;
    EXPECT_NE(first, second);
    EXPECT_EQ(loader_next(loader, &third, &error), -1);
    EXPECT_NE(std::string(error.message).find("release one"), std::string::npos)
        << error.message;

    loader_release(loader, first);
    EXPECT_EQ(loader_next(loader, &third, &error), 0) << error.message;
    loader_destroy(loader);
}

TEST(Loader, InvalidConfigIsRejected)
{
    TestSet set(10, {1, 2, 2});
    Error error = {};
    LoaderConfig config = set.config(0, 1, 2, 1, 1);
    EXPECT_EQ(loader_create(&config, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("batch size 0"), std::string::npos)
        << error.message;

    config = set.config(4, 1, -1, 1, 1);
    EXPECT_EQ(loader_create(&config, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("depth -1"), std::string::npos)
        << error.message;

    Dataset empty = {};
    config = set.config(4, 1, 2, 1, 1);
    config.dataset = &empty;
    EXPECT_EQ(loader_create(&config, &error), nullptr);
    EXPECT_NE(std::string(error.message).find("empty"), std::string::npos) << error.message;
}

// A slow consumer makes the loader wait for free buffers, and a slow loader
// (a hook that sleeps) makes the consumer wait for batches.
TEST(Loader, WaitTimesAreCounted)
{
    TestSet set(40, {1, 2, 2});
    LoaderConfig config = set.config(4, 1, 2, 1, 1);
    Error error = {};
    Loader *loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    LoaderBatch *batch = nullptr;
    ASSERT_EQ(loader_next(loader, &batch, &error), 0) << error.message;
    usleep(100000);
    loader_release(loader, batch);
    usleep(50000);
    LoaderWaitTimes times;
    loader_take_wait_times(loader, &times);
    EXPECT_GT(times.producer_seconds, 0.05);
    loader_take_wait_times(loader, &times);
    EXPECT_LT(times.producer_seconds, 0.05) << "the count did not restart";
    loader_destroy(loader);

    auto slow_hook = [](void *, const LoaderBatch *, Error *) {
        usleep(20000);
        return 0;
    };
    config.batch_hook = slow_hook;
    loader = loader_create(&config, &error);
    ASSERT_NE(loader, nullptr) << error.message;
    take_all_indices(loader, 1);
    loader_take_wait_times(loader, &times);
    EXPECT_GT(times.consumer_seconds, 0.1) << "10 batches of 20 ms each";
    loader_destroy(loader);
}

namespace {

// A small split whose mean pixel value depends on the class.
DataSplit make_learnable_split(int train_count, int test_count)
{
    DataSplit split = {};
    split.kind = DATASET_MNIST;
    Shape shape = {1, 8, 8};
    Dataset *sets[2] = {&split.train, &split.test};
    int counts[2] = {train_count, test_count};
    unsigned state = 777;
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
                set->images[n * shape_size(shape) + i] =
                    static_cast<uint8_t>(set->labels[n] * 19 + (state >> 16) % 64);
            }
        }
    }
    return split;
}

struct RunResult {
    int status;
    std::string error;
    std::string output;
};

RunResult run_training(const DataSplit &split, TrainConfig config, bool nan_params = false)
{
    Error error = {};
    Network *network = model_create(MODEL_MLP, split.train.shape, DATASET_CLASSES,
                                    config.batch_size, BACKEND_REFERENCE, &error);
    EXPECT_NE(network, nullptr) << error.message;
    Rng rng;
    rng_seed(&rng, config.seed);
    network_init_params(network, &rng);
    if (nan_params) {
        for (size_t i = 0; i < network->param_count; i++) {
            network->params[i] = NAN;
        }
    }
    Optimizer optimizer;
    OptimizerConfig optimizer_config = optimizer_default_config(OPTIMIZER_ADAM);
    EXPECT_EQ(optimizer_init(&optimizer, &optimizer_config, network->param_count, &error), 0);

    char *text = nullptr;
    size_t text_size = 0;
    FILE *out = open_memstream(&text, &text_size);
    int status = train_run(network, &optimizer, &split, &config, out, &error);
    std::fclose(out);

    RunResult result = {status, error.message, text};
    std::free(text);
    optimizer_free(&optimizer);
    network_free(network);
    return result;
}

// The epoch lines without the timing columns, which differ between runs.
std::string figures(const std::string &output)
{
    std::string kept;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        kept += line.substr(0, line.find("test acc") + 17) + "\n";
    }
    return kept;
}

TrainConfig small_config(int prefetch_depth)
{
    TrainConfig config = {};
    config.epochs = 3;
    config.batch_size = 16;  // 90 = 5 x 16 + 10, so each epoch ends with a smaller batch
    config.seed = 21;
    config.prefetch_depth = prefetch_depth;
    return config;
}

}  // namespace

TEST(LoaderTraining, PrefetchGivesSameLossesAsSynchronous)
{
    DataSplit split = make_learnable_split(90, 30);
    RunResult synchronous = run_training(split, small_config(0));
    ASSERT_EQ(synchronous.status, 0) << synchronous.error;
    for (int depth : {2, 5}) {
        RunResult prefetched = run_training(split, small_config(depth));
        ASSERT_EQ(prefetched.status, 0) << prefetched.error;
        EXPECT_EQ(figures(prefetched.output), figures(synchronous.output)) << "depth " << depth;
    }
    EXPECT_NE(synchronous.output.find("data wait"), std::string::npos) << synchronous.output;
    data_split_free(&split);
}

TEST(LoaderTraining, DivergenceJoinsLoaderThreads)
{
    DataSplit split = make_learnable_split(90, 30);
    RunResult result = run_training(split, small_config(3), true);
    EXPECT_EQ(result.status, TRAIN_DIVERGED);
    EXPECT_NE(result.error.find("epoch 1, step 1"), std::string::npos) << result.error;
    EXPECT_EQ(settled_loader_thread_count(0), 0);
    data_split_free(&split);
}

TEST(LoaderTraining, InterruptFlagStopsBeforeNextStep)
{
    DataSplit split = make_learnable_split(90, 30);
    static volatile sig_atomic_t interrupt = 1;
    TrainConfig config = small_config(3);
    config.interrupt_flag = &interrupt;

    RunResult result = run_training(split, config);
    EXPECT_EQ(result.status, TRAIN_INTERRUPTED);
    EXPECT_NE(result.error.find("epoch 1 after step 0 of 6"), std::string::npos)
        << result.error;
    EXPECT_NE(result.error.find("epochs completed: 0, steps completed: 0"),
              std::string::npos) << result.error;
    EXPECT_EQ(result.output, "");
    EXPECT_EQ(settled_loader_thread_count(0), 0);
    data_split_free(&split);
}

TEST(LoaderTraining, ComputeOnlyTrainsOnOneBatch)
{
    DataSplit split = make_learnable_split(90, 30);
    TrainConfig config = small_config(2);
    config.compute_only = 1;
    RunResult result = run_training(split, config);
    ASSERT_EQ(result.status, 0) << result.error;
    EXPECT_NE(result.output.find("epoch  3/3"), std::string::npos) << result.output;
    data_split_free(&split);
}
