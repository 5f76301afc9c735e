// Runs svhn-eval, svhn-predict and svhn-plot on a model trained for one
// epoch on generated SVHN-layout files, as a user would.

#include <gtest/gtest.h>

#include <png.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct ProgramRun {
    int exit_status;
    std::string output;  // stdout and stderr together
};

ProgramRun run(const std::string &command)
{
    FILE *pipe = popen((command + " 2>&1").c_str(), "r");
    ProgramRun result = {-1, ""};
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    size_t read;
    while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.output.append(buffer, read);
    }
    int status = pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// Writes a width x height PNG of color_type (PNG_COLOR_TYPE_GRAY, _RGB or
// _RGB_ALPHA) with libpng, filled with a gradient.
void write_png(const std::string &path, int width, int height, int color_type)
{
    FILE *file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    ASSERT_EQ(setjmp(png_jmpbuf(png)), 0);
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const int channels = color_type == PNG_COLOR_TYPE_GRAY ? 1
                         : color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
    std::vector<png_byte> row(static_cast<size_t>(width) * channels);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width * channels; x++) {
            row[x] = static_cast<png_byte>((x * 7 + y * 3) % 256);
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
}

class TrainedModel : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        char folder_template[] = "/tmp/svhn-eval-test-XXXXXX";
        ASSERT_NE(mkdtemp(folder_template), nullptr);
        folder_ = folder_template;
        model_ = folder_ + "/model.ckpt";
        ASSERT_EQ(run(std::string(MAKE_SVHN_PATH) + " --count 300 --seed 3 --out " + folder_ +
                      "/train_32x32.mat").exit_status, 0);
        ASSERT_EQ(run(std::string(MAKE_SVHN_PATH) + " --count 120 --seed 8 --out " + folder_ +
                      "/test_32x32.mat").exit_status, 0);
        ProgramRun train = run(std::string(SVHN_TRAIN_PATH) + " --data " + folder_ +
                               " --model lnet --epochs 2 --batch-size 50 --threads 2 --save " +
                               model_ + " --log " + folder_ + "/log.csv");
        ASSERT_EQ(train.exit_status, 0) << train.output;
    }

    static void TearDownTestSuite()
    {
        ASSERT_EQ(std::system(("rm -rf '" + folder_ + "'").c_str()), 0);
    }

    static std::string folder_;
    static std::string model_;
};

std::string TrainedModel::folder_;
std::string TrainedModel::model_;

}  // namespace

// Option errors need no model, so these run without the trained fixture.
TEST(EvalPredictOptions, EvalNamesBadOption)
{
    const std::string eval = SVHN_EVAL_PATH;
    const struct {
        std::string arguments;
        std::string message;
    } cases[] = {
        {"--bogus", "unknown option '--bogus'"},
        {"--model-file", "option --model-file needs a value"},
        {"--json=yes --model-file m", "option --json takes no value"},
        {"-x", "unknown option '-x'"},
    };
    for (const auto &c : cases) {
        ProgramRun result = run(eval + " " + c.arguments);
        EXPECT_EQ(result.exit_status, 2) << c.arguments;
        EXPECT_TRUE(contains(result.output, "svhn-eval: " + c.message)) << result.output;
    }
}

TEST(EvalPredictOptions, PredictNamesBadOption)
{
    const std::string predict = SVHN_PREDICT_PATH;
    ProgramRun unknown = run(predict + " --bogus image.png");
    EXPECT_EQ(unknown.exit_status, 2);
    EXPECT_TRUE(contains(unknown.output, "svhn-predict: unknown option '--bogus'"))
        << unknown.output;

    ProgramRun missing = run(predict + " --model-file");
    EXPECT_EQ(missing.exit_status, 2);
    EXPECT_TRUE(contains(missing.output, "svhn-predict: option --model-file needs a value"))
        << missing.output;
}

TEST_F(TrainedModel, EvalPrintsMatrixAndPerClassTable)
{
    ProgramRun eval = run(std::string(SVHN_EVAL_PATH) + " --model-file " + model_ +
                          " --data " + folder_);
    ASSERT_EQ(eval.exit_status, 0) << eval.output;
    EXPECT_TRUE(contains(eval.output, "test accuracy")) << eval.output;
    EXPECT_TRUE(contains(eval.output, "of 120)")) << eval.output;
    EXPECT_TRUE(contains(eval.output, "confusion matrix")) << eval.output;
    EXPECT_TRUE(contains(eval.output, "class  precision   recall  support")) << eval.output;
}

TEST_F(TrainedModel, EvalJsonHasMatrixSummingToExamples)
{
    ProgramRun eval = run(std::string(SVHN_EVAL_PATH) + " --json --model-file " + model_ +
                          " --data " + folder_);
    ASSERT_EQ(eval.exit_status, 0) << eval.output;
    EXPECT_EQ(eval.output.front(), '{') << eval.output;
    EXPECT_TRUE(contains(eval.output, "\"examples\": 120")) << eval.output;
    EXPECT_TRUE(contains(eval.output, "\"confusion_matrix\"")) << eval.output;
    EXPECT_TRUE(contains(eval.output, "\"precision\"")) << eval.output;

    // Sum every integer inside the confusion matrix brackets.
    size_t begin = eval.output.find("\"confusion_matrix\": [");
    size_t end = eval.output.find("],\n \"classes\"");
    ASSERT_NE(begin, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    std::string matrix = eval.output.substr(begin + 21, end - begin - 21);
    long sum = 0;
    int rows = 0;
    for (size_t i = 0; i < matrix.size(); i++) {
        rows += matrix[i] == '[';
        if (std::isdigit(static_cast<unsigned char>(matrix[i]))) {
            size_t used;
            sum += std::stol(matrix.substr(i), &used);
            i += used - 1;
        }
    }
    EXPECT_EQ(rows, 10);
    EXPECT_EQ(sum, 120);
}

TEST_F(TrainedModel, EvalNeedsOnlyTestFile)
{
    const std::string test_only = folder_ + "/test-only";
    ASSERT_EQ(run("mkdir '" + test_only + "' && cp '" + folder_ + "/test_32x32.mat' '" +
                  test_only + "/'").exit_status, 0);

    for (const char *kind : {"auto", "svhn"}) {
        ProgramRun eval = run(std::string(SVHN_EVAL_PATH) + " --model-file " + model_ +
                              " --data " + test_only + " --dataset " + kind);
        EXPECT_EQ(eval.exit_status, 0) << kind << ": " << eval.output;
        EXPECT_TRUE(contains(eval.output, "of 120)")) << kind << ": " << eval.output;
    }
}

TEST_F(TrainedModel, EvalRejectsCorruptModelFile)
{
    const std::string bad = folder_ + "/bad.ckpt";
    std::ofstream(bad) << "not a checkpoint at all, just some text";
    ProgramRun eval = run(std::string(SVHN_EVAL_PATH) + " --model-file " + bad + " --data " +
                          folder_);
    EXPECT_EQ(eval.exit_status, 1);
    EXPECT_TRUE(contains(eval.output, bad + ": not a checkpoint: wrong magic number"))
        << eval.output;
}

TEST_F(TrainedModel, PredictClassifiesPngsAndMatEntries)
{
    const std::string gray = folder_ + "/gray.png";
    const std::string rgb = folder_ + "/rgb-large.png";
    const std::string rgba = folder_ + "/rgba-small.png";
    write_png(gray, 32, 32, PNG_COLOR_TYPE_GRAY);
    write_png(rgb, 97, 61, PNG_COLOR_TYPE_RGB);
    write_png(rgba, 9, 14, PNG_COLOR_TYPE_RGB_ALPHA);
    const std::string mat = folder_ + "/test_32x32.mat:7";

    ProgramRun predict = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model_ + " " +
                             gray + " " + rgb + " " + rgba + " " + mat);
    ASSERT_EQ(predict.exit_status, 0) << predict.output;
    for (const std::string &name : {gray, rgb, rgba, mat}) {
        EXPECT_TRUE(contains(predict.output, name + ": class ")) << predict.output;
    }
    EXPECT_TRUE(contains(predict.output, ", label ")) << predict.output;
    EXPECT_TRUE(contains(predict.output, "probability 0.") ||
                contains(predict.output, "probability 1.")) << predict.output;
}

TEST_F(TrainedModel, PredictReportsBadImagesAndContinues)
{
    const std::string good = folder_ + "/good.png";
    const std::string bad = folder_ + "/bad.png";
    const std::string truncated = folder_ + "/truncated.png";
    const std::string missing = folder_ + "/missing.png";
    write_png(good, 40, 40, PNG_COLOR_TYPE_RGB);
    std::ofstream(bad) << "this is not a PNG";
    {
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    const std::string out_of_range = folder_ + "/test_32x32.mat:5000";

    ProgramRun predict = run(std::string(SVHN_PREDICT_PATH) + " --model-file " + model_ + " " +
                             bad + " " + missing + " " + truncated + " " + out_of_range + " " +
                             good);
    EXPECT_EQ(predict.exit_status, 1) << predict.output;
    EXPECT_TRUE(contains(predict.output, bad + ": not a PNG file")) << predict.output;
    EXPECT_TRUE(contains(predict.output, missing + ": cannot open the image: No such file"))
        << predict.output;
    EXPECT_TRUE(contains(predict.output, truncated + ": PNG file truncated or corrupt: the file "
                                         "ends after "))
        << predict.output;
    EXPECT_TRUE(contains(predict.output, "example index 5000 is outside 0..119"))
        << predict.output;
    EXPECT_TRUE(contains(predict.output, good + ": class ")) << predict.output;
    EXPECT_TRUE(contains(predict.output, "4 of 5 images failed")) << predict.output;
}

TEST_F(TrainedModel, PlotWritesPngFromLog)
{
    const std::string png = folder_ + "/curves.png";
    ProgramRun plot = run(std::string(SVHN_PLOT_PATH) + " " + folder_ + "/log.csv " + png);
    ASSERT_EQ(plot.exit_status, 0) << plot.output;
    std::ifstream file(png, std::ios::binary);
    char signature[8] = {};
    file.read(signature, 8);
    EXPECT_EQ(png_sig_cmp(reinterpret_cast<png_const_bytep>(signature), 0, 8), 0);
    file.seekg(0, std::ios::end);
    EXPECT_GT(file.tellg(), 5000) << "the PNG is too small to hold two panels";

    // The plot is drawn into a temporary file and renamed, which must leave
    // no temporary behind and give the usual permissions of a new file.
    const mode_t mask = umask(0);
    umask(mask);
    struct stat info;
    ASSERT_EQ(stat(png.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0666 & ~mask);
    ProgramRun leftovers = run("ls " + folder_);
    EXPECT_FALSE(contains(leftovers.output, ".tmp.")) << leftovers.output;
}

TEST_F(TrainedModel, PlotRejectsLogWithWrongHeader)
{
    const std::string csv = folder_ + "/wrong.csv";
    std::ofstream(csv) << "epoch,loss\n1,0.5\n";
    ProgramRun plot = run(std::string(SVHN_PLOT_PATH) + " " + csv + " " + folder_ + "/x.png");
    EXPECT_EQ(plot.exit_status, 1);
    EXPECT_TRUE(contains(plot.output, csv + ":1: unexpected header")) << plot.output;
}
