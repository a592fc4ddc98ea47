// Resampling float image planes (CHW) to another height x width: bilinear, antialiased when
// shrinking — the triangle filter widened by the scale factor, so every source pixel contributes
// (area-weighted averaging, no aliasing from skipped pixels). This is PIL's BILINEAR resample,
// which torchvision's Resize applies to PIL images, so images resized here match what a PyTorch
// ImageFolder pipeline would feed a model to within rounding. Enlarging is plain bilinear
// interpolation with pixel centres aligned (align_corners=False); the same size is a copy.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <vector>

namespace sl::image {

// `src` holds channels * height * width values (CHW); returns channels * out_height * out_width.
// All sizes must be >= 1 (the caller validates).
std::vector<float> ResizeBilinear(const std::vector<float>& src, int64_t channels, int64_t height,
                                  int64_t width, int64_t out_height, int64_t out_width);

}  // namespace sl::image
