// Helpers for the loader tests: a temporary folder that removes itself, and
// writers for small MAT and idx files with known contents.

#ifndef SVHN_TESTS_DATA_TEST_FILES_H
#define SVHN_TESTS_DATA_TEST_FILES_H

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <matio.h>
#include <zlib.h>

// A folder made with mkdtemp under $TMPDIR (or /tmp). The destructor removes
// the files in it and then the folder. The tests create no subfolders.
class TempDir {
public:
    TempDir()
    {
        const char *base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && base[0] != '\0' ? base : "/tmp")
                              + "/svhn-data-test-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (mkdtemp(buffer.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp failed for " << pattern;
            return;
        }
        path_ = buffer.data();
    }

    ~TempDir()
    {
        if (path_.empty()) {
            return;
        }
        DIR *dir = opendir(path_.c_str());
        if (dir != nullptr) {
            while (struct dirent *entry = readdir(dir)) {
                std::string name = entry->d_name;
                if (name != "." && name != "..") {
                    std::remove((path_ + "/" + name).c_str());
                }
            }
            closedir(dir);
        }
        rmdir(path_.c_str());
    }

    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline std::vector<uint8_t> read_file_bytes(const std::string &path)
{
    std::ifstream stream(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(stream),
                                std::istreambuf_iterator<char>());
}

inline void write_file_bytes(const std::string &path, const std::vector<uint8_t> &bytes)
{
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream.write(reinterpret_cast<const char *>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file_text(const std::string &path)
{
    std::vector<uint8_t> bytes = read_file_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

// The pixel the test files store at X(row, col, channel, n). Every position
// gets a different value in small sets, so a transposition error shows.
inline uint8_t test_pixel(int row, int col, int channel, int n)
{
    return static_cast<uint8_t>(row + 7 * col + 61 * channel + 101 * n);
}

// Column-major H x W x C x N pixels filled with test_pixel.
inline std::vector<uint8_t> make_test_pixels(int height, int width, int channels, int count)
{
    std::vector<uint8_t> pixels(static_cast<size_t>(height) * width * channels * count);
    for (int n = 0; n < count; n++) {
        for (int c = 0; c < channels; c++) {
            for (int col = 0; col < width; col++) {
                for (int row = 0; row < height; row++) {
                    size_t index = row + static_cast<size_t>(height) * (col + width * (c + channels * n));
                    pixels[index] = test_pixel(row, col, c, n);
                }
            }
        }
    }
    return pixels;
}

// Converts `values` to the element type of `class_type` for Mat_VarCreate.
inline std::vector<uint8_t> encode_values(const std::vector<double> &values,
                                          matio_classes class_type)
{
    size_t element_size = Mat_SizeOfClass(class_type);
    std::vector<uint8_t> bytes(values.size() * element_size);
    for (size_t i = 0; i < values.size(); i++) {
        void *target = bytes.data() + i * element_size;
        double value = values[i];
        switch (class_type) {
        case MAT_C_DOUBLE: *static_cast<double *>(target) = value; break;
        case MAT_C_SINGLE: *static_cast<float *>(target) = static_cast<float>(value); break;
        case MAT_C_INT8: *static_cast<int8_t *>(target) = static_cast<int8_t>(value); break;
        case MAT_C_UINT8: *static_cast<uint8_t *>(target) = static_cast<uint8_t>(value); break;
        case MAT_C_INT16: *static_cast<int16_t *>(target) = static_cast<int16_t>(value); break;
        case MAT_C_UINT16: *static_cast<uint16_t *>(target) = static_cast<uint16_t>(value); break;
        case MAT_C_INT32: *static_cast<int32_t *>(target) = static_cast<int32_t>(value); break;
        case MAT_C_UINT32: *static_cast<uint32_t *>(target) = static_cast<uint32_t>(value); break;
        case MAT_C_INT64: *static_cast<int64_t *>(target) = static_cast<int64_t>(value); break;
        case MAT_C_UINT64: *static_cast<uint64_t *>(target) = static_cast<uint64_t>(value); break;
        default: ADD_FAILURE() << "unsupported class " << class_type; break;
        }
    }
    return bytes;
}

inline matio_types data_type_of(matio_classes class_type)
{
    switch (class_type) {
    case MAT_C_DOUBLE: return MAT_T_DOUBLE;
    case MAT_C_SINGLE: return MAT_T_SINGLE;
    case MAT_C_INT8: return MAT_T_INT8;
    case MAT_C_UINT8: return MAT_T_UINT8;
    case MAT_C_INT16: return MAT_T_INT16;
    case MAT_C_UINT16: return MAT_T_UINT16;
    case MAT_C_INT32: return MAT_T_INT32;
    case MAT_C_UINT32: return MAT_T_UINT32;
    case MAT_C_INT64: return MAT_T_INT64;
    case MAT_C_UINT64: return MAT_T_UINT64;
    case MAT_C_CHAR: return MAT_T_UTF8;
    default: return MAT_T_UNKNOWN;
    }
}

// One variable of a test MAT file: its name, class, dims and values, which
// are converted to the class when written.
struct MatVariable {
    std::string name;
    matio_classes class_type;
    std::vector<size_t> dims;
    std::vector<double> values;
    std::vector<uint8_t> raw;  // used instead of values when not empty
};

inline void write_mat(const std::string &path, const std::vector<MatVariable> &variables,
                      bool compress)
{
    mat_t *mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
    ASSERT_NE(mat, nullptr) << "cannot create " << path;

    for (const MatVariable &variable : variables) {
        // raw contains the bytes of classes that encode_values does not convert.
        std::vector<uint8_t> data = variable.raw.empty()
                                        ? encode_values(variable.values, variable.class_type)
                                        : variable.raw;
        std::vector<size_t> dims = variable.dims;
        matvar_t *matvar = Mat_VarCreate(variable.name.c_str(), variable.class_type,
                                         data_type_of(variable.class_type),
                                         static_cast<int>(dims.size()), dims.data(),
                                         data.data(), MAT_F_DONT_COPY_DATA);
        ASSERT_NE(matvar, nullptr) << "cannot create variable " << variable.name;
        int status = Mat_VarWrite(mat, matvar,
                                  compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
        Mat_VarFree(matvar);
        ASSERT_EQ(status, 0) << "cannot write variable " << variable.name;
    }
    ASSERT_EQ(Mat_Close(mat), 0);
}

// The X variable of an SVHN-layout file with test_pixel values.
inline MatVariable svhn_images(int height, int width, int channels, int count,
                               const std::string &name = "X")
{
    MatVariable variable{name, MAT_C_UINT8,
                         {static_cast<size_t>(height), static_cast<size_t>(width),
                          static_cast<size_t>(channels), static_cast<size_t>(count)},
                         {}, make_test_pixels(height, width, channels, count)};
    return variable;
}

// An N x 1 label variable y of the given class.
inline MatVariable svhn_labels(const std::vector<double> &labels,
                               matio_classes class_type = MAT_C_DOUBLE,
                               const std::string &name = "y")
{
    MatVariable variable{name, class_type, {labels.size(), 1}, labels, {}};
    return variable;
}

inline void put_big_endian_u32(std::vector<uint8_t> &bytes, uint32_t value)
{
    bytes.push_back(static_cast<uint8_t>(value >> 24));
    bytes.push_back(static_cast<uint8_t>(value >> 16));
    bytes.push_back(static_cast<uint8_t>(value >> 8));
    bytes.push_back(static_cast<uint8_t>(value));
}

// Builds an idx file: magic number, dimension sizes, then the elements.
inline std::vector<uint8_t> idx_bytes(uint32_t magic, const std::vector<uint32_t> &dims,
                                      const std::vector<uint8_t> &elements)
{
    std::vector<uint8_t> bytes;
    put_big_endian_u32(bytes, magic);
    for (uint32_t size : dims) {
        put_big_endian_u32(bytes, size);
    }
    bytes.insert(bytes.end(), elements.begin(), elements.end());
    return bytes;
}

inline void write_gzip_bytes(const std::string &path, const std::vector<uint8_t> &bytes)
{
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr) << "cannot create " << path;
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(file), Z_OK);
}

// Pixels of image n at (row, col) in the idx test files.
inline uint8_t idx_test_pixel(int row, int col, int n)
{
    return static_cast<uint8_t>(3 * row + 11 * col + 37 * n);
}

inline std::vector<uint8_t> idx_test_images(int count, int rows, int cols)
{
    std::vector<uint8_t> pixels;
    for (int n = 0; n < count; n++) {
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                pixels.push_back(idx_test_pixel(row, col, n));
            }
        }
    }
    return pixels;
}

#endif
