// `straightline dataset`: list the registered datasets, or write one as an image folder of JPEGs
// (`write-imagefolder`): ROOT/train/<class>/<n>.jpg and ROOT/test/<class>/<n>.jpg, the layout the
// imagefolder dataset reads (ml/data/image_folder.h). Where no JPEG image set exists on this
// machine, Fashion-MNIST's 28x28 gray images upscaled to e.g. 224x224 (bilinear, ml/image/
// resize.h) stand in for photos: the same bytes-on-the-wire and decode cost per request, though
// not the content of a real photo set. Torch-free.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "ml/data/registry.h"
#include "ml/image/jpeg_codec.h"
#include "ml/image/resize.h"

namespace sl::cli {
namespace {

// A class name as a folder name: '/' (Fashion-MNIST's "T-shirt/top") and leading dots replaced.
std::string FolderName(std::string name) {
  for (auto& c : name) {
    if (c == '/' || c == '\\' || c == '\0') c = '-';
  }
  if (name.empty() || name[0] == '.') name = "_" + name;
  return name;
}

// Writes up to `per_class` samples of each class of `d` under dir/<class>/<index>.jpg.
Result<int64_t> WriteSplit(const ml::Dataset& d, const std::string& dir, int64_t per_class,
                           int64_t size, int64_t channels, int quality) {
  if (d.sample_shape.size() != 3) {
    return InvalidArgument("dataset '{}' is not an image dataset (sample shape has {} dims)", d.name,
                           d.sample_shape.size());
  }
  const int64_t c = d.sample_shape[0], h = d.sample_shape[1], w = d.sample_shape[2];
  const int64_t numel = d.SampleNumel();
  std::vector<int64_t> written(d.class_names.size(), 0);
  int64_t total = 0;
  for (int64_t i = 0; i < d.size(); ++i) {
    const int64_t label = d.labels[i];
    if (written[label] >= per_class) continue;
    std::vector<float> planes(d.features.begin() + i * numel, d.features.begin() + (i + 1) * numel);
    planes = image::ResizeBilinear(planes, c, h, w, size, size);
    image::Pixels8 p{channels, size, size, std::vector<uint8_t>(static_cast<size_t>(channels * size * size))};
    const int64_t hw = size * size;
    for (int64_t k = 0; k < hw; ++k) {
      for (int64_t ch = 0; ch < channels; ++ch) {
        float v;
        if (c == channels) {
          v = planes[ch * hw + k];
        } else if (c == 1) {
          v = planes[k];  // gray replicated to RGB
        } else {
          v = 0.299f * planes[k] + 0.587f * planes[hw + k] + 0.114f * planes[2 * hw + k];
        }
        p.data[k * channels + ch] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255));
      }
    }
    SL_ASSIGN_OR_RETURN(std::string jpg, image::EncodeJpeg(p, quality));
    const std::string folder = dir + "/" + FolderName(d.class_names[label]);
    SL_RETURN_IF_ERROR(MakeDirs(folder));
    SL_RETURN_IF_ERROR(WriteFileAtomic(fmt::format("{}/{:05}.jpg", folder, written[label]), jpg));
    ++written[label];
    ++total;
  }
  return total;
}

int WriteImageFolder(const Args& args) {
  FlagSet flags("straightline dataset write-imagefolder",
                "Write an image dataset as JPEG files in the ImageFolder layout: OUT/train/<class>/"
                "NNNNN.jpg and OUT/test/<class>/NNNNN.jpg, upscaled to --size (bilinear), for "
                "`train --dataset imagefolder --data-dir OUT` and image/jpeg requests.");
  std::string dataset = "fashion-mnist", data_dir, out;
  int64_t per_class = 100, test_per_class = -1, size = 224, channels = 1, quality = 90, seed = 1;
  flags.String("dataset", &dataset, "an image dataset of the registry (fashion-mnist, mnist, cifar10)");
  flags.String("data-dir", &data_dir, "its directory (default: the dataset's default location)");
  flags.String("out", &out, "output directory (required)");
  flags.Int("per-class", &per_class, "train images per class");
  flags.Int("test-per-class", &test_per_class, "test images per class (default: per-class / 5, at least 1)");
  flags.Int("size", &size, "side of the written images, in pixels");
  flags.Int("channels", &channels, "1 (gray JPEGs) or 3 (RGB JPEGs)");
  flags.Int("quality", &quality, "JPEG quality, 1..100");
  flags.Int("seed", &seed, "which train images are taken (the registry's shuffle seed)");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (out.empty()) {
    fmt::print(stderr, "straightline dataset write-imagefolder: --out: required\n");
    return 2;
  }
  if (per_class < 1 || size < 1 || size > 4096 || (channels != 1 && channels != 3) || quality < 1 ||
      quality > 100) {
    fmt::print(stderr, "straightline dataset write-imagefolder: need --per-class >= 1, --size in "
                       "1..4096, --channels 1 or 3, --quality in 1..100\n");
    return 2;
  }
  if (test_per_class < 0) test_per_class = std::max<int64_t>(1, per_class / 5);
  ml::data::DatasetOptions o;
  o.name = dataset;
  o.path = data_dir;
  o.seed = static_cast<uint64_t>(seed);
  o.validation_fraction = 0;
  o.normalize = false;
  Result<ml::data::DatasetSplits> splits = ml::data::LoadDataset(o);
  if (!splits.ok()) {
    fmt::print(stderr, "straightline dataset write-imagefolder: {}\n", splits.status().ToString());
    return splits.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  const int q = static_cast<int>(quality);
  Result<int64_t> train = WriteSplit(splits->train, out + "/train", per_class, size, channels, q);
  Result<int64_t> test = train.ok() ? WriteSplit(splits->test, out + "/test", test_per_class, size, channels, q)
                                    : train;
  if (!test.ok()) {
    fmt::print(stderr, "straightline dataset write-imagefolder: {}\n", test.status().ToString());
    return test.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  fmt::print("wrote {} train and {} test JPEGs ({}x{}, {} channel{}, quality {}) of {} ({}) to {}\n",
             *train, *test, size, size, channels, channels == 1 ? "" : "s", quality, dataset,
             splits->source, out);
  return 0;
}

int ListDatasets() {
  for (const auto& d : ml::data::KnownDatasets()) {
    fmt::print("{:<14} {:<6} {}\n", d.name, d.kind == ml::SampleKind::kDense ? "dense" : "text",
               d.description);
  }
  return 0;
}

}  // namespace

int RunDataset(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "list") return ListDatasets();
  if (sub == "write-imagefolder") return WriteImageFolder(Args(args.begin() + 1, args.end()));
  fmt::print(stderr,
             "usage: straightline dataset list | write-imagefolder --out DIR [--dataset fashion-mnist] "
             "[--per-class N] [--size 224] [--channels 1|3] [--quality 90]\n");
  return sub == "--help" || sub == "-h" ? 0 : 2;
}

}  // namespace sl::cli
