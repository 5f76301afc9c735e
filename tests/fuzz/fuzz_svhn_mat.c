// libFuzzer harness for the SVHN .mat reader: the MAT5 layout check, matio
// and the X and y checks of dataset_load_svhn_mat.

#include "fuzz_input_file.h"

#include "svhn/dataset.h"

// Keeps the pixel sum alive, so the loop that reads every pixel is not
// optimised away.
volatile unsigned fuzz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzInputFile file = {.fd = -1};
    if (file.fd < 0) {
        fuzz_input_file_open(&file, "fuzz.mat");
    }
    fuzz_input_file_write(&file, data, size);

    Dataset dataset;
    Error error = {{0}};
    if (dataset_load_svhn_mat(&dataset, file.path, &error) == 0) {
        // A loaded set must be consistent: touch every pixel and label.
        size_t image_size = shape_size(dataset.shape);
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t)dataset.count * image_size; i++) {
            sum += dataset.images[i];
        }
        for (int i = 0; i < dataset.count; i++) {
            if (dataset.labels[i] >= DATASET_CLASSES) {
                abort();
            }
        }
        fuzz_sink = sum;
        dataset_free(&dataset);
    }
    return 0;
}
