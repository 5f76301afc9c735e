// Command-line parsing of svhn-train (train_options_parse): defaults, every
// option, and the messages for invalid, unknown and incomplete arguments.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "options.h"

namespace {

struct ParseResult {
    // The argument strings, which data_dir and log_path point into. They
    // live on the heap so that moving the result keeps them in place.
    std::shared_ptr<std::vector<std::string>> arguments;
    OptionsStatus status;
    TrainOptions options;
    std::string message;    // the error message, empty on success
    std::string help_text;  // what was printed to the help stream
};

// Parses "svhn-train" followed by arguments, capturing the help output.
ParseResult parse(const std::vector<std::string> &arguments)
{
    ParseResult result = {};
    result.arguments = std::make_shared<std::vector<std::string>>();
    std::vector<std::string> &storage = *result.arguments;
    storage.push_back("svhn-train");
    storage.insert(storage.end(), arguments.begin(), arguments.end());
    std::vector<char *> argv;
    for (std::string &argument : storage) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);

    Error error = {};
    FILE *help_stream = tmpfile();
    EXPECT_NE(help_stream, nullptr);
    result.status = train_options_parse(&result.options, static_cast<int>(storage.size()),
                                        argv.data(), help_stream, &error);
    result.message = error.message;

    rewind(help_stream);
    char buffer[512];
    size_t read;
    while ((read = fread(buffer, 1, sizeof buffer, help_stream)) > 0) {
        result.help_text.append(buffer, read);
    }
    fclose(help_stream);
    return result;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

TEST(TrainOptions, Defaults)
{
    ParseResult result = parse({});
    ASSERT_EQ(result.status, OPTIONS_OK) << result.message;
    const TrainOptions &options = result.options;
    EXPECT_EQ(options.model, MODEL_LNET);
    EXPECT_EQ(options.dataset, DATASET_AUTO);
    EXPECT_STREQ(options.data_dir, "data/svhn");
    EXPECT_EQ(options.optimizer.kind, OPTIMIZER_ADAM);
    EXPECT_FLOAT_EQ(options.optimizer.learning_rate, 1e-3f);
    EXPECT_EQ(options.optimizer.weight_decay, 0.0f);
    EXPECT_EQ(options.batch_size, 250);
    EXPECT_EQ(options.epochs, 10);
    EXPECT_EQ(options.seed, 1u);
    EXPECT_EQ(options.threads, 0);
    EXPECT_EQ(options.train_limit, 0);
    EXPECT_EQ(options.test_limit, 0);
    EXPECT_EQ(options.log_path, nullptr);
    EXPECT_TRUE(result.help_text.empty());
}

TEST(TrainOptions, ParsesEveryOption)
{
    ParseResult result = parse({
        "--model", "mlp",
        "--backend", "ref",
        "--dataset", "mnist",
        "--data", "/tmp/fashion",
        "--optimizer", "sgd",
        "--lr", "0.05",
        "--momentum", "0.5",
        "--weight-decay", "0.0001",
        "--epochs", "3",
        "--batch-size", "64",
        "--threads", "2",
        "--seed", "18446744073709551615",
        "--train-limit", "500",
        "--test-limit", "200",
        "--log", "run.csv",
    });
    ASSERT_EQ(result.status, OPTIONS_OK) << result.message;

    const TrainOptions &options = result.options;
    EXPECT_EQ(options.model, MODEL_MLP);
    EXPECT_EQ(options.backend, BACKEND_REFERENCE);
    EXPECT_EQ(options.dataset, DATASET_MNIST);
    EXPECT_STREQ(options.data_dir, "/tmp/fashion");
    EXPECT_EQ(options.optimizer.kind, OPTIMIZER_SGD);
    EXPECT_FLOAT_EQ(options.optimizer.learning_rate, 0.05f);
    EXPECT_FLOAT_EQ(options.optimizer.momentum, 0.5f);
    EXPECT_FLOAT_EQ(options.optimizer.weight_decay, 1e-4f);
    EXPECT_EQ(options.epochs, 3);
    EXPECT_EQ(options.batch_size, 64);
    EXPECT_EQ(options.threads, 2);
    EXPECT_EQ(options.seed, UINT64_MAX);
    EXPECT_EQ(options.train_limit, 500);
    EXPECT_EQ(options.test_limit, 200);
    EXPECT_STREQ(options.log_path, "run.csv");
}

TEST(TrainOptions, AcceptsEqualsForm)
{
    ParseResult result = parse({"--epochs=7", "--model=lnet", "--dataset=svhn", "--backend=fast"});
    ASSERT_EQ(result.status, OPTIONS_OK) << result.message;
    EXPECT_EQ(result.options.epochs, 7);
    EXPECT_EQ(result.options.model, MODEL_LNET);
    EXPECT_EQ(result.options.dataset, DATASET_SVHN);
    EXPECT_EQ(result.options.backend, BACKEND_FAST);
}

TEST(TrainOptions, SgdDefaultLearningRate)
{
    ParseResult sgd = parse({"--optimizer", "sgd"});
    ASSERT_EQ(sgd.status, OPTIONS_OK) << sgd.message;
    EXPECT_EQ(sgd.options.optimizer.kind, OPTIMIZER_SGD);
    EXPECT_FLOAT_EQ(sgd.options.optimizer.learning_rate, 0.01f);
    EXPECT_FLOAT_EQ(sgd.options.optimizer.momentum, 0.9f);

    // An explicit --lr wins whether it comes before or after --optimizer.
    ParseResult lr_after = parse({"--optimizer", "sgd", "--lr", "0.2"});
    ASSERT_EQ(lr_after.status, OPTIONS_OK) << lr_after.message;
    EXPECT_FLOAT_EQ(lr_after.options.optimizer.learning_rate, 0.2f);

    ParseResult lr_before = parse({"--lr", "0.2", "--optimizer", "sgd"});
    ASSERT_EQ(lr_before.status, OPTIONS_OK) << lr_before.message;
    EXPECT_FLOAT_EQ(lr_before.options.optimizer.learning_rate, 0.2f);

    ParseResult adam = parse({"--optimizer", "adam"});
    ASSERT_EQ(adam.status, OPTIONS_OK) << adam.message;
    EXPECT_EQ(adam.options.optimizer.kind, OPTIMIZER_ADAM);
    EXPECT_FLOAT_EQ(adam.options.optimizer.learning_rate, 1e-3f);
}

TEST(TrainOptions, AcceptsRangeBounds)
{
    ParseResult result = parse({"--lr", "10", "--momentum", "0", "--weight-decay", "1",
                                "--epochs", "100000", "--batch-size", "65536", "--threads",
                                "1024", "--seed", "0"});
    ASSERT_EQ(result.status, OPTIONS_OK) << result.message;
    EXPECT_FLOAT_EQ(result.options.optimizer.learning_rate, 10.0f);
    EXPECT_EQ(result.options.optimizer.momentum, 0.0f);
    EXPECT_EQ(result.options.epochs, 100000);
    EXPECT_EQ(result.options.batch_size, 65536);
    EXPECT_EQ(result.options.threads, 1024);
    EXPECT_EQ(result.options.seed, 0u);
}

struct InvalidCase {
    std::vector<std::string> arguments;
    const char *option;          // must appear in the message
    const char *accepted_range;  // must appear in the message
};

const InvalidCase kInvalidCases[] = {
    {{"--lr", "0"}, "--lr", "(0, 10]"},
    {{"--lr", "-1"}, "--lr", "(0, 10]"},
    {{"--lr", "abc"}, "--lr", "(0, 10]"},
    {{"--lr", "11"}, "--lr", "(0, 10]"},
    {{"--lr", "nan"}, "--lr", "(0, 10]"},
    {{"--lr", "0.1x"}, "--lr", "(0, 10]"},
    {{"--lr", ""}, "--lr", "(0, 10]"},
    {{"--momentum", "1"}, "--momentum", "[0, 1)"},
    {{"--momentum", "-0.1"}, "--momentum", "[0, 1)"},
    {{"--weight-decay", "2"}, "--weight-decay", "[0, 1]"},
    {{"--epochs", "0"}, "--epochs", "1..100000"},
    {{"--epochs", "2.5"}, "--epochs", "1..100000"},
    {{"--epochs", " 3"}, "--epochs", "1..100000"},
    {{"--epochs", "3 "}, "--epochs", "1..100000"},
    {{"--lr", " 0.1"}, "--lr", "(0, 10]"},
    {{"--lr", "1e-50"}, "--lr", "(0, 10]"},
    {{"--seed", " 7"}, "--seed", "0..18446744073709551615"},
    {{"--batch-size", "70000"}, "--batch-size", "1..65536"},
    {{"--batch-size", "0"}, "--batch-size", "1..65536"},
    {{"--threads", "0"}, "--threads", "1..1024"},
    {{"--seed", "-1"}, "--seed", "0..18446744073709551615"},
    {{"--seed", "18446744073709551616"}, "--seed", "0..18446744073709551615"},
    {{"--train-limit", "0"}, "--train-limit", "1..1000000000"},
    {{"--test-limit", "-5"}, "--test-limit", "1..1000000000"},
    {{"--model", "foo"}, "--model", "lnet or mlp"},
    {{"--backend", "gpu"}, "--backend", "ref or fast"},
    {{"--dataset", "foo"}, "--dataset", "svhn, mnist or auto"},
    {{"--optimizer", "rmsprop"}, "--optimizer", "adam or sgd"},
};

TEST(TrainOptions, RejectsInvalidValues)
{
    for (const InvalidCase &c : kInvalidCases) {
        const std::string case_text = c.arguments[0] + " '" + c.arguments[1] + "'";
        ParseResult result = parse(c.arguments);
        const std::string context = case_text + ": " + result.message;
        EXPECT_EQ(result.status, OPTIONS_INVALID) << case_text;
        EXPECT_TRUE(contains(result.message, c.option)) << context;
        EXPECT_TRUE(contains(result.message, c.accepted_range)) << context;
        EXPECT_TRUE(contains(result.message, "'" + c.arguments[1] + "'")) << context;
    }
}

TEST(TrainOptions, RejectsUnknownOption)
{
    ParseResult result = parse({"--epochs", "2", "--frobnicate"});
    EXPECT_EQ(result.status, OPTIONS_INVALID);
    EXPECT_EQ(result.message, "unknown option '--frobnicate'; see --help");
}

TEST(TrainOptions, RejectsMissingValue)
{
    ParseResult result = parse({"--epochs", "2", "--lr"});
    EXPECT_EQ(result.status, OPTIONS_INVALID);
    EXPECT_EQ(result.message, "option --lr needs a value; see --help");
}

TEST(TrainOptions, RejectsValueForFlag)
{
    ParseResult result = parse({"--compute-only=1"});
    EXPECT_EQ(result.status, OPTIONS_INVALID);
    EXPECT_EQ(result.message, "option --compute-only takes no value; see --help");
}

TEST(TrainOptions, RejectsPositionalArgument)
{
    ParseResult result = parse({"--epochs", "2", "data/svhn"});
    EXPECT_EQ(result.status, OPTIONS_INVALID);
    EXPECT_TRUE(contains(result.message, "unexpected argument 'data/svhn'")) << result.message;
}

TEST(TrainOptions, HelpPrintsUsage)
{
    ParseResult result = parse({"--epochs", "2", "--help"});
    EXPECT_EQ(result.status, OPTIONS_HELP);
    EXPECT_EQ(result.help_text.rfind("Usage: svhn-train", 0), 0u) << result.help_text;
    for (const char *option : {"--data", "--dataset", "--model", "--optimizer", "--lr",
                               "--momentum", "--weight-decay", "--epochs", "--batch-size",
                               "--seed", "--threads", "--train-limit", "--test-limit", "--log",
                               "--backend", "--help"}) {
        EXPECT_TRUE(contains(result.help_text, option)) << option << " missing from the help";
    }
}

TEST(TrainOptions, ParsesAgainAfterError)
{
    // getopt keeps state between calls, so the parser must reset it.
    ParseResult invalid = parse({"--epochs", "0"});
    EXPECT_EQ(invalid.status, OPTIONS_INVALID);
    ParseResult valid = parse({"--epochs", "4"});
    ASSERT_EQ(valid.status, OPTIONS_OK) << valid.message;
    EXPECT_EQ(valid.options.epochs, 4);
}

}  // namespace
