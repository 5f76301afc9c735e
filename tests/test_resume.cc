// svhn-train killed with SIGKILL in the middle of its 4th epoch and resumed
// from its checkpoint ends with the same weights, bit for bit, as a run that
// was never stopped.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "svhn/checkpoint.h"

namespace {

// 600 examples in batches of 50 give 12 steps per epoch. A checkpoint is
// written every 3 steps, so a kill in epoch 4 resumes from the middle of it.
const char kTrainArguments[] =
    " --model lnet --epochs 6 --batch-size 50 --threads 2 --seed 4 --save-every 3";

std::string run_command(const std::string &command)
{
    return std::system(command.c_str()) == 0 ? "" : "command failed: " + command;
}

std::string read_text(const std::string &path)
{
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// The CSV log without its timing columns (examples_per_sec and seconds),
// which differ between runs.
std::string log_without_timings(const std::string &path)
{
    std::istringstream log(read_text(path));
    std::string line, result;
    while (std::getline(log, line)) {
        std::vector<std::string> fields;
        std::stringstream row(line);
        std::string field;
        while (std::getline(row, field, ',')) {
            fields.push_back(field);
        }
        for (size_t i = 0; i < fields.size(); i++) {
            if (i != 5 && i != 6) {
                result += fields[i] + ",";
            }
        }
        result += "\n";
    }
    return result;
}

// Starts svhn-train with stdout on a pipe. Returns the child's pid.
pid_t start_training(const std::string &arguments, FILE **output)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::string command = std::string("exec ") + SVHN_TRAIN_PATH + arguments;
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char *>(nullptr));
        _exit(127);
    }
    close(fds[1]);
    *output = fdopen(fds[0], "r");
    return pid;
}

class ResumeRun : public ::testing::Test {
protected:
    void SetUp() override
    {
        char folder_template[] = "/tmp/svhn-resume-test-XXXXXX";
        ASSERT_NE(mkdtemp(folder_template), nullptr);
        folder_ = folder_template;
        data_ = " --data " + folder_;
        ASSERT_EQ(run_command(std::string(MAKE_SVHN_PATH) + " --count 600 --seed 3 --out " +
                              folder_ + "/train_32x32.mat > /dev/null"), "");
        ASSERT_EQ(run_command(std::string(MAKE_SVHN_PATH) + " --count 100 --seed 8 --out " +
                              folder_ + "/test_32x32.mat > /dev/null"), "");
    }

    void TearDown() override
    {
        ASSERT_EQ(run_command("rm -rf '" + folder_ + "'"), "");
    }

    std::string folder_;
    std::string data_;
};

Checkpoint load(const std::string &path)
{
    Checkpoint checkpoint;
    Error error = {};
    EXPECT_EQ(checkpoint_load(path.c_str(), &checkpoint, &error), 0) << error.message;
    return checkpoint;
}

}  // namespace

TEST_F(ResumeRun, KilledInFourthEpochResumesBitForBit)
{
    const std::string full = folder_ + "/full.ckpt";
    const std::string part = folder_ + "/part.ckpt";
    ASSERT_EQ(run_command(std::string(SVHN_TRAIN_PATH) + data_ + kTrainArguments + " --save " +
                          full + " --log " + folder_ + "/full.csv > /dev/null"), "");

    // Kill once epoch 3's line is out and a checkpoint inside epoch 4 exists.
    FILE *output = nullptr;
    pid_t pid = start_training(data_ + kTrainArguments + " --save " + part + " --log " +
                                   folder_ + "/part.csv", &output);
    ASSERT_GT(pid, 0);
    char line[1024];
    bool epoch3_done = false;
    while (!epoch3_done && std::fgets(line, sizeof line, output) != nullptr) {
        epoch3_done = std::strncmp(line, "epoch  3/6", 10) == 0;
    }
    ASSERT_TRUE(epoch3_done) << "svhn-train ended before epoch 3";
    for (int wait = 0; wait < 2000; wait++) {
        Checkpoint probe;
        Error error = {};
        if (checkpoint_load(part.c_str(), &probe, &error) == 0) {
            bool inside_epoch4 = probe.progress.epochs_done == 3 &&
                                 probe.progress.steps_in_epoch > 0;
            checkpoint_free(&probe);
            if (inside_epoch4) {
                break;
            }
        }
        usleep(1000);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    std::fclose(output);
    ASSERT_TRUE(WIFSIGNALED(status)) << "svhn-train ended before the kill";
    ASSERT_EQ(WTERMSIG(status), SIGKILL);

    Checkpoint killed = load(part);
    EXPECT_EQ(killed.progress.epochs_done, 3) << "the kill missed epoch 4";
    EXPECT_GT(killed.progress.steps_in_epoch, 0) << "the kill missed epoch 4";
    checkpoint_free(&killed);

    ASSERT_EQ(run_command(std::string(SVHN_TRAIN_PATH) + data_ + kTrainArguments +
                          " --resume " + part + " --save " + part + " --log " + folder_ +
                          "/part.csv > /dev/null"), "");

    Checkpoint a = load(full);
    Checkpoint b = load(part);
    EXPECT_EQ(a.progress.epochs_done, 6);
    EXPECT_EQ(b.progress.epochs_done, 6);
    EXPECT_EQ(a.progress.steps_done, b.progress.steps_done);
    ASSERT_EQ(a.param_count, b.param_count);
    EXPECT_EQ(std::memcmp(a.params, b.params, a.param_count * sizeof(float)), 0)
        << "final weights differ";
    EXPECT_EQ(a.optimizer.step, b.optimizer.step);
    EXPECT_EQ(std::memcmp(a.optimizer.moment1, b.optimizer.moment1,
                          a.param_count * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(a.optimizer.moment2, b.optimizer.moment2,
                          a.param_count * sizeof(float)), 0);
    checkpoint_free(&a);
    checkpoint_free(&b);

    std::string full_log = log_without_timings(folder_ + "/full.csv");
    EXPECT_EQ(std::count(full_log.begin(), full_log.end(), '\n'), 7);
    EXPECT_EQ(log_without_timings(folder_ + "/part.csv"), full_log);
}

TEST_F(ResumeRun, ResumeRejectsOtherModel)
{
    const std::string path = folder_ + "/one.ckpt";
    ASSERT_EQ(run_command(std::string(SVHN_TRAIN_PATH) + data_ +
                          " --model lnet --epochs 1 --batch-size 100 --threads 1 --save " +
                          path + " > /dev/null"), "");
    std::string command = std::string(SVHN_TRAIN_PATH) + data_ +
                          " --model mlp --epochs 2 --resume " + path + " 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        output += buffer;
    }
    int status = pclose(pipe);
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_NE(output.find(path + ": the checkpoint holds model lnet but mlp was requested"),
              std::string::npos) << output;
}
