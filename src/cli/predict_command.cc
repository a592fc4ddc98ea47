// `straightline predict`: run a model artifact on one input — a record of an IDX file
// (--index), a PNG/JPEG/PGM/PPM image, or a text file for text models — and print the top class and
// the class probabilities.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "ml/data/idx.h"
#include "ml/image/decode_image.h"
#include "ml/image_io.h"
#include "ml/predictor.h"

namespace sl::cli {
namespace {

bool LooksLikeIdx(const std::string& path) {
  if (path.ends_with(".gz")) return true;
  Result<std::string> head = ReadFileToString(path);
  return head.ok() && head->size() >= 4 && (*head)[0] == 0 && (*head)[1] == 0 && (*head)[2] == 0x08;
}

// One sample in the model's input shape, raw [0, 1] scale.
Result<std::vector<float>> LoadDenseInput(const ml::InputSpec& in, const std::string& path,
                                          int64_t index, std::string* what) {
  if (in.shape.size() != 3) {
    return InvalidArgument("the model takes input of shape {}; predict reads images (C×H×W) only",
                           in.ShapeString());
  }
  const int64_t c = in.shape[0], h = in.shape[1], w = in.shape[2];
  if (LooksLikeIdx(path)) {
    SL_ASSIGN_OR_RETURN(ml::data::IdxArray a, ml::data::ReadIdx(path, 3));
    if (index < 0 || index >= a.dims[0]) {
      return InvalidArgument("{}: --index {} is outside [0, {})", path, index, a.dims[0]);
    }
    if (c != 1 || a.dims[1] != h || a.dims[2] != w) {
      return InvalidArgument("{}: records are 1x{}x{}, the model takes {}", path, a.dims[1], a.dims[2],
                             in.ShapeString());
    }
    std::vector<float> v(h * w);
    const auto* bytes = reinterpret_cast<const uint8_t*>(a.bytes.data()) + index * h * w;
    for (int64_t i = 0; i < h * w; ++i) v[i] = bytes[i] / 255.0f;
    *what = fmt::format("{} record {}", path, index);
    return v;
  }
  // JPEGs (photos, any size) are resized to the model's input as the v2 endpoints do; PNG and
  // Netpbm files must have its size, as before.
  SL_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  if (image::IsJpeg(bytes)) {
    Result<image::PlanarImage> img = image::DecodeForModel(bytes, {.channels = c, .height = h, .width = w});
    if (!img.ok()) return InvalidArgument("{}: {}", path, img.status().message());
    *what = path;
    return std::move(img->pixels);
  }
  SL_ASSIGN_OR_RETURN(ml::Image img, ml::ReadImage(path));
  SL_ASSIGN_OR_RETURN(img, ml::ConvertChannels(img, c));
  if (img.height != h || img.width != w) {
    return InvalidArgument("{}: image is {}x{}, the model takes {}x{} (resize it first, or send "
                           "a JPEG, which is resized)", path, img.width, img.height, w, h);
  }
  *what = path;
  return img.pixels;
}

}  // namespace

int RunPredict(const Args& args) {
  FlagSet flags("straightline predict",
                "Predict the class of one input with a model artifact: an IDX file record "
                "(--index), a PNG/JPEG/PGM/PPM image (JPEGs are resized to the model's input), "
                "or a text file for text models.");
  std::string model_dir, input;
  int64_t index = 0, top = 5;
  bool json = false;
  flags.String("model", &model_dir, "model artifact directory (required)");
  flags.String("input", &input, "input file (required)");
  flags.Int("index", &index, "record index for IDX inputs");
  flags.Int("top", &top, "print this many most likely classes (0: all)");
  flags.Bool("json", &json, "print JSON on stdout");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (model_dir.empty() || input.empty()) {
    fmt::print(stderr, "--model and --input are required\n");
    return 2;
  }
  auto fail = [](const Status& st) {
    fmt::print(stderr, "straightline predict: {}\n", st.ToString());
    return st.code() == Code::kInvalidArgument ? 2 : 1;
  };
  Result<std::unique_ptr<ml::Predictor>> p = ml::Predictor::Load(model_dir);
  if (!p.ok()) return fail(p.status());
  const ml::Predictor& predictor = **p;
  std::string what;
  Result<ml::Prediction> pred = Status(Code::kUnknown, "unset");
  if (predictor.input().kind == ml::SampleKind::kTokens) {
    Result<std::string> text = ReadFileToString(input);
    if (!text.ok()) return fail(text.status());
    what = input;
    pred = predictor.PredictText(*text);
  } else {
    Result<std::vector<float>> values = LoadDenseInput(predictor.input(), input, index, &what);
    if (!values.ok()) return fail(values.status());
    Result<std::vector<ml::Prediction>> preds = predictor.PredictDense(*values, 1);
    if (!preds.ok()) return fail(preds.status());
    pred = std::move((*preds)[0]);
  }
  if (!pred.ok()) return fail(pred.status());

  const auto& names = predictor.class_names();
  std::vector<int64_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return pred->probabilities[a] > pred->probabilities[b];
  });
  if (top > 0 && top < static_cast<int64_t>(order.size())) order.resize(top);
  if (json) {
    nlohmann::json probs = nlohmann::json::object();
    for (size_t c = 0; c < names.size(); ++c) probs[names[c]] = pred->probabilities[c];
    nlohmann::json j = {{"model", model_dir},     {"input", what},
                        {"label", pred->label},   {"class", pred->class_name},
                        {"probability", pred->probabilities[pred->label]},
                        {"probabilities", probs}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{}: {} (p={:.4f})\n", what, pred->class_name, pred->probabilities[pred->label]);
  for (int64_t c : order) fmt::print("  {:<24} {:.4f}\n", names[c], pred->probabilities[c]);
  return 0;
}

}  // namespace sl::cli
