// Reading single images for `straightline predict` and the serving layer: PNG (libpng; gray,
// gray+alpha, RGB, RGBA, palette; 8 or 16 bit), JPEG (libjpeg-turbo, ml/image/jpeg_codec.h:
// gray stays gray, colour becomes RGB; corrupt or truncated files refused) and Netpbm PGM/PPM
// (P2, P5, P3, P6).
// Pixels become floats in [0, 1] (value / max value), CHW order — the raw scale of the
// dataset loaders, ready for Predictor::PredictDense.
// Errors name the file and what is wrong (NOT_FOUND, INVALID_ARGUMENT for an unknown or
// truncated format, or an image over 2^24 pixels, e.g. 4096 x 4096, refused before its pixels
// are allocated). Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::ml {

struct Image {
  int64_t channels = 0;  // 1 (gray) or 3 (RGB); alpha is dropped
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> pixels;  // channels * height * width, CHW
};

Result<Image> ReadImage(const std::string& path);

// Gray → RGB (replicated) or RGB → gray (ITU-R BT.601 luma); same image if equal.
Result<Image> ConvertChannels(const Image& image, int64_t channels);

// Writes a binary PGM (channels == 1) or PPM (channels == 3), 8 bit.
Status WriteNetpbm(const std::string& path, const Image& image);

}  // namespace sl::ml
