#include "ml/image/resize.h"

#include <algorithm>
#include <cmath>

namespace sl::image {
namespace {

// One axis's filter: output index i takes in[start[i] + k] * weight[i * taps + k], k < count[i].
struct AxisFilter {
  int64_t taps = 0;
  std::vector<int64_t> start, count;
  std::vector<float> weight;
};

// PIL's precompute_coeffs for the bilinear (triangle, support 1) filter.
AxisFilter MakeFilter(int64_t in, int64_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  AxisFilter f;
  f.taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  f.start.resize(out);
  f.count.resize(out);
  f.weight.assign(static_cast<size_t>(out * f.taps), 0.0f);
  for (int64_t i = 0; i < out; ++i) {
    const double center = (static_cast<double>(i) + 0.5) * scale;
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in);
    double total = 0;
    std::vector<double> w(static_cast<size_t>(std::max<int64_t>(hi - lo, 0)));
    for (int64_t x = lo; x < hi; ++x) {
      const double t = std::fabs((static_cast<double>(x) - center + 0.5) / filter_scale);
      w[x - lo] = t < 1.0 ? 1.0 - t : 0.0;
      total += w[x - lo];
    }
    f.start[i] = lo;
    f.count[i] = hi - lo;
    for (int64_t k = 0; k < hi - lo; ++k) {
      f.weight[i * f.taps + k] = static_cast<float>(total > 0 ? w[k] / total : 0.0);
    }
  }
  return f;
}

}  // namespace

std::vector<float> ResizeBilinear(const std::vector<float>& src, int64_t channels, int64_t height,
                                  int64_t width, int64_t out_height, int64_t out_width) {
  if (height == out_height && width == out_width) return src;
  const AxisFilter fx = MakeFilter(width, out_width), fy = MakeFilter(height, out_height);
  // Horizontal pass into [c][height][out_width], then vertical into [c][out_height][out_width].
  std::vector<float> mid(static_cast<size_t>(channels * height * out_width));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t y = 0; y < height; ++y) {
      const float* row = src.data() + (c * height + y) * width;
      float* dst = mid.data() + (c * height + y) * out_width;
      for (int64_t x = 0; x < out_width; ++x) {
        const float* w = fx.weight.data() + x * fx.taps;
        const float* s = row + fx.start[x];
        float acc = 0;
        for (int64_t k = 0; k < fx.count[x]; ++k) acc += s[k] * w[k];
        dst[x] = acc;
      }
    }
  }
  std::vector<float> out(static_cast<size_t>(channels * out_height * out_width));
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = mid.data() + c * height * out_width;
    for (int64_t y = 0; y < out_height; ++y) {
      float* dst = out.data() + (c * out_height + y) * out_width;
      const float* w = fy.weight.data() + y * fy.taps;
      for (int64_t k = 0; k < fy.count[y]; ++k) {
        const float* s = plane + (fy.start[y] + k) * out_width;
        const float wk = w[k];
        for (int64_t x = 0; x < out_width; ++x) dst[x] += s[x] * wk;
      }
    }
  }
  return out;
}

}  // namespace sl::image
