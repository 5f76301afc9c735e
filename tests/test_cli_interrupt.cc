// Sends Ctrl-C (SIGINT) to a running svhn-train and checks that it stops
// after the current step with exit status 130 and a summary of the work done.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char **environ;

namespace {

bool run_quietly(const std::string &command)
{
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// A running program whose stdout and stderr go to one pipe.
struct Child {
    pid_t pid = -1;
    int output_fd = -1;
    std::string output;

    explicit Child(const std::vector<std::string> &arguments)
    {
        int fds[2];
        if (pipe(fds) != 0) {
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);

        std::vector<char *> argv;
        for (const std::string &argument : arguments) {
            argv.push_back(const_cast<char *>(argument.c_str()));
        }
        argv.push_back(nullptr);
        if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
            pid = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        output_fd = fds[0];
    }

    // Reads output until it contains `text` or the pipe closes, for at most
    // timeout_ms. Returns whether the text appeared.
    bool read_until(const std::string &text, int timeout_ms)
    {
        for (int waited = 0; waited < timeout_ms && output.find(text) == std::string::npos;) {
            pollfd fd = {output_fd, POLLIN, 0};
            if (poll(&fd, 1, 100) == 0) {
                waited += 100;
                continue;
            }
            char buffer[4096];
            ssize_t got = read(output_fd, buffer, sizeof buffer);
            if (got <= 0) {
                break;
            }
            output.append(buffer, static_cast<size_t>(got));
        }
        return output.find(text) != std::string::npos;
    }

    // Reads the rest of the output and returns the exit status, or -1 when
    // the program was ended by a signal or did not end within timeout_ms
    // (it is then killed).
    int wait_for_exit(int timeout_ms)
    {
        read_until("\x01never printed\x01", timeout_ms);
        close(output_fd);

        // The pipe closes a moment before the process can be reaped.
        int status = 0;
        for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 10) {
            if (waited >= timeout_ms) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                return -1;
            }
            usleep(10000);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
};

}  // namespace

TEST(CliInterrupt, CtrlCStopsWithStatus130AndSummary)
{
    char folder[] = "/tmp/svhn-interrupt-test-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    const std::string data = folder;
    ASSERT_TRUE(run_quietly(std::string(MAKE_SVHN_PATH) + " --count 3000 --out " + data +
                            "/train_32x32.mat"));
    ASSERT_TRUE(run_quietly(std::string(MAKE_SVHN_PATH) + " --count 100 --out " + data +
                            "/test_32x32.mat"));

    Child train({SVHN_TRAIN_PATH, "--data", data, "--model", "mlp", "--epochs", "10000",
                 "--batch-size", "50", "--threads", "1", "--prefetch", "3"});
    ASSERT_GT(train.pid, 0);
    ASSERT_TRUE(train.read_until("epoch  1/10000", 120000)) << train.output;
    ASSERT_EQ(kill(train.pid, SIGINT), 0);
    int exit_status = train.wait_for_exit(60000);

    EXPECT_EQ(exit_status, 130) << train.output;
    EXPECT_NE(train.output.find("svhn-train: interrupted"), std::string::npos) << train.output;
    EXPECT_NE(train.output.find("epochs completed: "), std::string::npos) << train.output;
    EXPECT_NE(train.output.find("steps completed: "), std::string::npos) << train.output;
    EXPECT_EQ(train.output.find("epoch 10000/10000"), std::string::npos) << train.output;

    std::remove((data + "/train_32x32.mat").c_str());
    std::remove((data + "/test_32x32.mat").c_str());
    rmdir(folder);
}

TEST(CliInterrupt, HelpListsInterruptedStatus)
{
    Child help({SVHN_TRAIN_PATH, "--help"});
    ASSERT_GT(help.pid, 0);
    EXPECT_EQ(help.wait_for_exit(30000), 0);
    EXPECT_NE(help.output.find("130 when interrupted"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("--prefetch N"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("--compute-only"), std::string::npos) << help.output;
}
