// Runs the svhn-train program as a user would and checks its output and exit
// status.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct ProgramRun {
    int exit_status;
    std::string output;  // stdout and stderr together
};

ProgramRun run_train(const std::string &arguments)
{
    std::string command = std::string(SVHN_TRAIN_PATH) + " " + arguments + " 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    ProgramRun run = {-1, ""};
    if (pipe == nullptr) {
        return run;
    }
    std::array<char, 4096> buffer;
    size_t read;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        run.output.append(buffer.data(), read);
    }
    int status = pclose(pipe);
    run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Cli, HelpListsOptionsAndExitsZero)
{
    ProgramRun run = run_train("--help");
    EXPECT_EQ(run.exit_status, 0);
    for (const char *option : {"--model", "--dataset", "--data", "--optimizer", "--lr",
                               "--momentum", "--weight-decay", "--epochs", "--batch-size",
                               "--threads", "--seed", "--train-limit", "--test-limit",
                               "--log", "--backend"}) {
        EXPECT_TRUE(contains(run.output, option)) << option << " missing from --help";
    }
}

TEST(Cli, InvalidValueNamesOptionAndRange)
{
    ProgramRun run = run_train("--epochs 0");
    EXPECT_EQ(run.exit_status, 2);
    EXPECT_TRUE(contains(run.output, "--epochs")) << run.output;
    EXPECT_TRUE(contains(run.output, "1..100000")) << run.output;
}

TEST(Cli, MissingDataFolderIsReported)
{
    ProgramRun run = run_train("--data /nonexistent/svhn-trainer-data --epochs 1");
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_TRUE(contains(run.output, "/nonexistent/svhn-trainer-data")) << run.output;
}

// One epoch on the real SVHN sample: 40 train and 10 test images in the
// official file layout.
TEST(Cli, TrainsOnRealSvhnSample)
{
    const char *sample_dir = std::getenv("SVHN_SAMPLE_DIR");
    if (sample_dir == nullptr) {
        GTEST_SKIP() << "SVHN_SAMPLE_DIR is not set";
    }
    ProgramRun run = run_train(std::string("--data ") + sample_dir +
                        " --backend ref --epochs 2 --batch-size 16 --threads 1 --seed 5");

    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_TRUE(contains(run.output, "data: svhn")) << run.output;
    EXPECT_TRUE(contains(run.output, "40 train, 10 test, 3x32x32")) << run.output;
    EXPECT_TRUE(contains(run.output, "seed 5")) << run.output;
    EXPECT_TRUE(contains(run.output, "Conv2D 3->6 5x5 stride 1 pad 2")) << run.output;
    EXPECT_TRUE(contains(run.output, "Linear 1024->256")) << run.output;
    EXPECT_TRUE(contains(run.output, "epoch  2/2")) << run.output;
    // In a pipe there is no progress line, so no carriage return.
    EXPECT_FALSE(contains(run.output, "\r")) << run.output;
}

TEST(Cli, TrainLimitUsesFirstExamples)
{
    const char *fashion_dir = std::getenv("FASHION_MNIST_DIR");
    if (fashion_dir == nullptr) {
        GTEST_SKIP() << "FASHION_MNIST_DIR is not set";
    }
    ProgramRun run = run_train(std::string("--data ") + fashion_dir +
                        " --model mlp --epochs 1 --train-limit 500 --test-limit 200");

    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_TRUE(contains(run.output, "data: mnist")) << run.output;
    EXPECT_TRUE(contains(run.output, "500 train, 200 test, 1x28x28")) << run.output;
}

TEST(Cli, ShortHelpAndUnknownShortOption)
{
    ProgramRun help = run_train("-h");
    EXPECT_EQ(help.exit_status, 0);
    EXPECT_TRUE(contains(help.output, "--batch-size")) << help.output;

    ProgramRun unknown = run_train("-x");
    EXPECT_EQ(unknown.exit_status, 2);
    EXPECT_TRUE(contains(unknown.output, "unknown option '-x'")) << unknown.output;
}

// Output paths are checked before the data is even read, so the data
// folder here does not need to exist.
TEST(Cli, OutputPathInMissingFolderFailsAtStart)
{
    ProgramRun run = run_train("--data /nonexistent/data --log /nonexistent/svhn-logs/run.csv");
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_TRUE(contains(run.output, "/nonexistent/svhn-logs/run.csv")) << run.output;
    EXPECT_TRUE(contains(run.output, "does not exist")) << run.output;
    EXPECT_FALSE(contains(run.output, "epoch")) << run.output;
}

TEST(Cli, OutputPathNotRegularFile)
{
    char folder[] = "/tmp/svhn-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    std::string link = std::string(folder) + "/link.ckpt";
    std::string target = std::string(folder) + "/target.ckpt";
    ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);

    ProgramRun to_folder = run_train(std::string("--data /nonexistent/data --save ") + folder);
    EXPECT_EQ(to_folder.exit_status, 1);
    EXPECT_TRUE(contains(to_folder.output, "not a regular file")) << to_folder.output;

    ProgramRun to_link = run_train("--data /nonexistent/data --log " + link);
    EXPECT_EQ(to_link.exit_status, 1);
    EXPECT_TRUE(contains(to_link.output, "not a regular file")) << to_link.output;

    ProgramRun to_device = run_train("--data /nonexistent/data --plot /dev/null");
    EXPECT_EQ(to_device.exit_status, 1);
    EXPECT_TRUE(contains(to_device.output, "/dev/null")) << to_device.output;

    unlink(link.c_str());
    rmdir(folder);
}

TEST(Cli, OutputsNamingSameFileRejected)
{
    char folder[] = "/tmp/svhn-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    const std::string base = folder;
    const std::string checkpoint = base + "/run.ckpt";
    FILE *file = std::fopen(checkpoint.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fclose(file);

    const struct {
        std::string arguments;
        std::string message;
    } cases[] = {
        {"--save " + base + "/a --log " + base + "/./a", "name the same file"},
        {"--log " + base + "/b.csv --plot " + base + "/../" + base.substr(5) + "/b.csv",
         "name the same file"},
        {"--resume " + checkpoint + " --plot " + checkpoint,
         "would replace the checkpoint given to --resume"},
        {"--log " + base + "/train_32x32.mat", "would replace a data file of --data"},
        {"--save " + base + "/../" + base.substr(5) + "/t10k-labels-idx1-ubyte.gz",
         "would replace a data file of --data"},
    };
    for (const auto &c : cases) {
        ProgramRun run = run_train("--data " + base + " " + c.arguments);
        EXPECT_EQ(run.exit_status, 2) << c.arguments;
        EXPECT_TRUE(contains(run.output, c.message)) << run.output;
    }

    // Updating the resumed checkpoint in place is the usual way to continue.
    ProgramRun in_place =
        run_train("--data /nonexistent/data --resume " + checkpoint + " --save " + checkpoint);
    EXPECT_FALSE(contains(in_place.output, "name the same file")) << in_place.output;

    unlink(checkpoint.c_str());
    rmdir(folder);
}

// A folder where no file can be created, although root passes access()
// on it, is found at start rather than after the first epoch.
TEST(Cli, UnwritableOutputFolderFailsAtStart)
{
    ProgramRun run = run_train("--data /nonexistent/data --save /proc/svhn-test.ckpt");
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_TRUE(contains(run.output, "/proc/svhn-test.ckpt: cannot create a temporary"))
        << run.output;
    EXPECT_FALSE(contains(run.output, "epoch")) << run.output;
}

TEST(Cli, ResumeNamesIgnoredCommandLineSettings)
{
    const char *sample_dir = std::getenv("SVHN_SAMPLE_DIR");
    if (sample_dir == nullptr) {
        GTEST_SKIP() << "SVHN_SAMPLE_DIR is not set";
    }
    char folder[] = "/tmp/svhn-cli-resume-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    std::string checkpoint = std::string(folder) + "/run.ckpt";
    std::string common = std::string("--data ") + sample_dir + " --threads 1 --batch-size 16";

    ProgramRun first = run_train(common + " --epochs 1 --save " + checkpoint);
    ASSERT_EQ(first.exit_status, 0) << first.output;

    ProgramRun resumed = run_train(common + " --epochs 2 --lr 0.5 --resume " + checkpoint);
    EXPECT_EQ(resumed.exit_status, 0) << resumed.output;
    EXPECT_TRUE(contains(resumed.output, "ignoring --lr")) << resumed.output;
    EXPECT_FALSE(contains(resumed.output, "--batch-size\n")) << resumed.output;

    std::remove(checkpoint.c_str());
    rmdir(folder);
}
