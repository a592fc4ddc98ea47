// libFuzzer target for the image readers (image_io.h): PNG through libpng and Netpbm P2/P3/P5/P6
// by hand, the files `straightline predict` is given. Contract checked: ReadImage is OK or
// INVALID_ARGUMENT, never allocating more than the image could hold; an OK image has 1 or 3
// channels, positive sides, channels x height x width pixels, all finite in [0, 1]; WriteNetpbm
// → ReadImage gives it back to within 8-bit rounding (0.5/255); ConvertChannels to 3 and back to
// 1 keeps a gray image.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// image_io). Seeds: fuzz/corpus/image_io/ (PNG of each colour type and bit depth, P2/P3/P5/P6).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ml/fuzz_tmp_file.h"
#include "ml/image_io.h"

namespace {

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "image_io_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckImage(const sl::ml::Image& img, const char* what) {
  Check(img.channels == 1 || img.channels == 3, what, "channels");
  Check(img.height >= 1 && img.width >= 1, what, "sides");
  Check(img.pixels.size() == static_cast<size_t>(img.channels * img.height * img.width), what,
        "pixel count");
  for (float v : img.pixels) Check(std::isfinite(v) && v >= 0 && v <= 1, what, std::to_string(v));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sl::fuzz::PutFile(
      "image", std::string_view(reinterpret_cast<const char*>(data), size));
  auto r = sl::ml::ReadImage(path);
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kInvalidArgument, "error code", r.status().ToString());
    return 0;
  }
  const sl::ml::Image& img = *r;
  CheckImage(img, "ReadImage");
  const std::string out = sl::fuzz::TempDir() + "/written.pnm";
  Check(sl::ml::WriteNetpbm(out, img).ok(), "WriteNetpbm");
  auto back = sl::ml::ReadImage(out);
  Check(back.ok(), "a written image does not read back", back.ok() ? "" : back.status().ToString());
  CheckImage(*back, "read back");
  Check(back->channels == img.channels && back->height == img.height && back->width == img.width,
        "shape after a round trip");
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    Check(std::fabs(back->pixels[i] - img.pixels[i]) <= 0.5f / 255 + 1e-6f,
          "pixel after a round trip", std::to_string(img.pixels[i]) + " vs " +
                                          std::to_string(back->pixels[i]));
  }
  auto gray = sl::ml::ConvertChannels(img, 1);
  Check(gray.ok(), "ConvertChannels(1)");
  CheckImage(*gray, "gray");
  auto rgb = sl::ml::ConvertChannels(*gray, 3);
  Check(rgb.ok(), "ConvertChannels(3)");
  CheckImage(*rgb, "rgb");
  auto gray2 = sl::ml::ConvertChannels(*rgb, 1);
  Check(gray2.ok(), "ConvertChannels(3 -> 1)");
  for (size_t i = 0; i < gray->pixels.size(); ++i) {
    Check(std::fabs(gray2->pixels[i] - gray->pixels[i]) <= 1e-5f, "gray -> rgb -> gray");
  }
  return 0;
}
