// libFuzzer target for the JPEG decoder and the bytes → model input step (ml/image/): what the
// KServe v2 codec does with image/jpeg bodies, `predict` with .jpg files and image-folder
// datasets with every file. Contract checked on every input:
//  - DecodeJpeg / ReadJpegHeader / DecodeForModel are OK or INVALID_ARGUMENT (never exit(),
//    which libjpeg's default error manager calls, never a crash or leak);
//  - an OK decode has the requested channels, positive sides no larger than the header's, within
//    the pixel limit, and channels x height x width bytes; DCT-scaled decodes are never smaller
//    than the requested minimum;
//  - DecodeForModel gives exactly the target size and pixels in [0, 1];
//  - a decoded gray image encoded again at quality 100 decodes back to within 2 levels on average.
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target jpeg).
// Seeds: fuzz/corpus/jpeg/ (baseline gray and RGB, progressive, a PNG).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ml/image/decode_image.h"
#include "ml/image/jpeg_codec.h"

namespace {

// Smaller than the serving limit so that a claimed 4096 x 4096 does not dominate the run; the
// limit's logic is the same for any value.
constexpr int64_t kFuzzMaxPixels = int64_t{1} << 20;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "jpeg_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckError(const sl::Status& st, const char* what) {
  Check(st.code() == sl::Code::kInvalidArgument, what, st.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto header = sl::image::ReadJpegHeader(bytes);
  if (!header.ok()) CheckError(header.status(), "ReadJpegHeader");

  const int64_t channels = size > 0 && (data[size - 1] & 1) ? 1 : 3;
  sl::image::JpegDecodeOptions o;
  o.channels = channels;
  o.max_pixels = kFuzzMaxPixels;
  auto full = sl::image::DecodeJpeg(bytes, o);
  if (!full.ok()) {
    CheckError(full.status(), "DecodeJpeg");
  } else {
    Check(header.ok(), "decoded what ReadJpegHeader refused");
    const auto& p = *full;
    Check(p.channels == channels, "channels");
    Check(p.height == header->height && p.width == header->width, "size != header size");
    Check(p.height >= 1 && p.width >= 1 && p.height * p.width <= kFuzzMaxPixels, "sides");
    Check(p.data.size() == static_cast<size_t>(p.channels * p.height * p.width), "byte count");
    if (channels == 1 && p.height * p.width <= 4096) {
      auto again = sl::image::EncodeJpeg(p, 100);
      Check(again.ok(), "EncodeJpeg of a decoded image");
      auto back = sl::image::DecodeJpeg(*again, o);
      Check(back.ok(), "a written JPEG does not decode", back.ok() ? "" : back.status().ToString());
      Check(back->height == p.height && back->width == p.width, "round trip size");
      double diff = 0;
      for (size_t i = 0; i < p.data.size(); ++i) diff += std::abs(int(p.data[i]) - int(back->data[i]));
      Check(diff / static_cast<double>(p.data.size()) <= 2.0, "round trip error",
            std::to_string(diff / static_cast<double>(p.data.size())));
    }
  }

  // Toward a small target: DCT scaling, then the resize.
  o.min_height = 7;
  o.min_width = 5;
  auto scaled = sl::image::DecodeJpeg(bytes, o);
  Check(scaled.ok() == full.ok(), "DCT scaling changed whether the file decodes",
        scaled.ok() ? "" : scaled.status().ToString());
  if (scaled.ok()) {
    Check(scaled->height >= std::min<int64_t>(7, full->height) &&
              scaled->width >= std::min<int64_t>(5, full->width),
          "scaled below the minimum");
  }
  for (int64_t c : {int64_t{1}, int64_t{3}}) {
    sl::image::DecodeForModelOptions m;
    m.channels = c;
    m.height = 7;
    m.width = 5;
    m.max_pixels = kFuzzMaxPixels;
    auto img = sl::image::DecodeForModel(bytes, m);
    if (!img.ok()) {
      CheckError(img.status(), "DecodeForModel");
      continue;
    }
    Check(img->channels == c && img->height == 7 && img->width == 5, "model input shape");
    Check(img->pixels.size() == static_cast<size_t>(c * 35), "model input size");
    for (float v : img->pixels) Check(std::isfinite(v) && v >= 0 && v <= 1, "pixel", std::to_string(v));
  }
  return 0;
}
