// Encoded image bytes (PNG or JPEG, told apart by their signatures) → a model's input: float
// planes (CHW) in [0, 1] (pixel / 255), converted to the model's channels and, when asked,
// resized to its height x width. Shared by the KServe v2 codec (image/jpeg bodies), `predict`
// (ml/image_io) and image-folder datasets (ml/data/image_folder). Torch-free.
//
// Channels: gray → RGB replicates the plane; RGB → gray is BT.601 luma (libjpeg's and libpng's
// own conversions, applied while decoding). Alpha is dropped (PNG's simplified API composites
// nothing: the colour channels are kept as stored).
// Resizing: ResizeBilinear (resize.h; antialiased when shrinking, PIL/torchvision's bilinear).
// JPEGs much larger than the target are decoded at 1/2, 1/4 or 1/8 scale by libjpeg first (DCT
// scaling, never below the target size), then resized.
// Limits: header width x height above `max_pixels` is refused before decoding (both formats).
// Errors: INVALID_ARGUMENT "PNG: ..." / "JPEG: ..." naming what is wrong (jpeg_codec.h); bytes
// that are neither: "not a PNG or JPEG image (first bytes ...)". Never throws.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/image/jpeg_codec.h"

namespace sl::image {

enum class ImageFormat { kUnknown, kPng, kJpeg };
ImageFormat SniffImageFormat(std::string_view bytes);
const char* ImageFormatName(ImageFormat f);  // "PNG", "JPEG", "unknown"

struct PlanarImage {
  int64_t channels = 0, height = 0, width = 0;
  std::vector<float> pixels;  // CHW, in [0, 1]
};

struct DecodeForModelOptions {
  int64_t channels = 3;    // 1 or 3
  int64_t height = 0;      // > 0 (with width): resize to height x width; 0: keep the image's size
  int64_t width = 0;
  int64_t max_pixels = kDefaultMaxPixels;
};

Result<PlanarImage> DecodeForModel(std::string_view bytes, const DecodeForModelOptions& options);

// 8-bit interleaved → float planes in [0, 1].
PlanarImage ToPlanar(const Pixels8& pixels);

}  // namespace sl::image
