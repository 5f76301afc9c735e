// libFuzzer harness for the PNG path of svhn-predict: image_read_png, then
// image_convert to the gray and RGB 32x32 inputs of the models.

#include "fuzz_input_file.h"

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FuzzInputFile file = {.fd = -1};
    if (file.fd < 0) {
        fuzz_input_file_open(&file, "fuzz.png");
    }
    fuzz_input_file_write(&file, data, size);

    Image image;
    Error error = {{0}};
    if (image_read_png(file.path, &image, &error) != 0) {
        return 0;
    }
    const Shape targets[2] = {{1, 32, 32}, {3, 32, 32}};
    uint8_t converted[3 * 32 * 32];
    for (int i = 0; i < 2; i++) {
        if (image_convert(image.pixels, image.shape, converted, targets[i], &error) != 0) {
            abort();  // a decoded PNG is gray or RGB, which always converts
        }
    }
    image_free(&image);
    return 0;
}
