// What an image/jpeg request costs the server before the model runs (issue 21 §4): decoding a
// JPEG body and resizing it to the model's input (ml/image/decode_image.h, as the KServe v2 codec
// does), for a 224x224 RGB JPEG (no resize), a 640x480 photo-sized one (DCT-scaled decode to
// 320x240, then the antialiased resize to 224x224) and a 28x28 gray one to 28x28 (the cnn's
// request), N times each in interleaved rounds; prints each case's p50/p90 in µs and bytes.
// Single-threaded; the machine is shared, so read the numbers within one run.
//   cmake --build build --target image_decode_bench && build/bench/image_decode_bench [N=200]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/clock.h"
#include "ml/image/decode_image.h"
#include "ml/image/jpeg_codec.h"

namespace {

// Smooth colour fields plus mild noise: compresses like a photo rather than like flat colour.
sl::image::Pixels8 PhotoLike(int64_t channels, int64_t h, int64_t w, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> noise(-12, 12);
  sl::image::Pixels8 p{channels, h, w, std::vector<uint8_t>(static_cast<size_t>(channels * h * w))};
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t c = 0; c < channels; ++c) {
        const int v = 128 + static_cast<int>(90 * std::sin(0.02 * x * (c + 1) + 0.03 * y)) + noise(rng);
        p.data[(y * w + x) * channels + c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return p;
}

struct Case {
  std::string name;
  std::string jpeg;
  sl::image::DecodeForModelOptions target;
  std::vector<double> us;
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  if (n < 10) {
    std::fprintf(stderr, "usage: %s [N>=10]\n", argv[0]);
    return 2;
  }
  std::vector<Case> cases;
  auto add = [&](std::string name, sl::image::Pixels8 p, int64_t c, int64_t h, int64_t w) {
    auto j = sl::image::EncodeJpeg(p, 90);
    if (!j.ok()) std::abort();
    cases.push_back({std::move(name), *j, {.channels = c, .height = h, .width = w}, {}});
  };
  add("jpeg 224x224 rgb -> 3x224x224", PhotoLike(3, 224, 224, 1), 3, 224, 224);
  add("jpeg 640x480 rgb -> 3x224x224", PhotoLike(3, 480, 640, 2), 3, 224, 224);
  add("jpeg 28x28 gray -> 1x28x28", PhotoLike(1, 28, 28, 3), 1, 28, 28);
  sl::Clock* clock = sl::Clock::Real();
  const int rounds = 10;
  for (int r = 0; r < rounds; ++r) {
    for (auto& c : cases) {
      for (int i = 0; i < n / rounds; ++i) {
        const sl::TimePoint t0 = clock->Now();
        auto img = sl::image::DecodeForModel(c.jpeg, c.target);
        const double us = std::chrono::duration<double, std::micro>(clock->Now() - t0).count();
        if (!img.ok()) {
          std::fprintf(stderr, "%s: %s\n", c.name.c_str(), img.status().ToString().c_str());
          return 1;
        }
        c.us.push_back(us);
      }
    }
  }
  for (auto& c : cases) {
    std::sort(c.us.begin(), c.us.end());
    fmt::print("{:<32} bytes={:<6} n={} p50_us={:.0f} p90_us={:.0f}\n", c.name, c.jpeg.size(),
               c.us.size(), c.us[c.us.size() / 2], c.us[c.us.size() * 9 / 10]);
  }
  return 0;
}
