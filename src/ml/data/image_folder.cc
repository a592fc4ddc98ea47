#include "ml/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/file_util.h"
#include "ml/image/decode_image.h"

namespace sl::ml::data {
namespace {

namespace fs = std::filesystem;

bool IsImageName(const std::string& name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.ends_with(".jpg") || lower.ends_with(".jpeg") || lower.ends_with(".png");
}

// Sorted names of the entries of `dir` that pass `keep` (hidden entries skipped).
template <typename Keep>
Result<std::vector<std::string>> SortedEntries(const std::string& dir, Keep keep) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (keep(*it)) out.push_back(name);
  }
  if (ec) return Unavailable("{}: cannot list: {}", dir, ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<ImageFolder> LoadImageFolder(const std::string& root, const ImageFolderOptions& o,
                                    const std::string& name) {
  if (o.channels != 1 && o.channels != 3) {
    return InvalidArgument("image folder: {} channels (1 or 3)", o.channels);
  }
  if (o.height < 1 || o.width < 1 || o.height > 4096 || o.width > 4096) {
    return InvalidArgument("image folder: image size {}x{} (H x W) is outside 1..4096", o.height,
                           o.width);
  }
  if (!IsDirectory(root)) return NotFound("{}: image folder does not exist", root);
  SL_ASSIGN_OR_RETURN(std::vector<std::string> classes,
                      SortedEntries(root, [](const fs::directory_entry& e) {
                        std::error_code ec;
                        return e.is_directory(ec);
                      }));
  if (classes.empty()) {
    return InvalidArgument("{}: no class subfolders (expected ROOT/<class>/<image>.jpg|png)", root);
  }
  ImageFolder out;
  std::vector<int64_t> labels;
  for (size_t label = 0; label < classes.size(); ++label) {
    const std::string dir = root + "/" + classes[label];
    SL_ASSIGN_OR_RETURN(std::vector<std::string> files,
                        SortedEntries(dir, [](const fs::directory_entry& e) {
                          std::error_code ec;
                          return e.is_regular_file(ec) && IsImageName(e.path().filename().string());
                        }));
    if (files.empty()) {
      return InvalidArgument("{}: class '{}' ({}) has no .jpg/.jpeg/.png files", root,
                             classes[label], dir);
    }
    for (auto& f : files) {
      out.files.push_back(classes[label] + "/" + f);
      labels.push_back(static_cast<int64_t>(label));
    }
  }
  const int64_t numel = o.channels * o.height * o.width;
  const int64_t bytes = static_cast<int64_t>(out.files.size()) * numel * 4;
  if (bytes > o.max_feature_bytes) {
    return InvalidArgument(
        "{}: {} images at {}x{}x{} are {} of features, over the limit of {} (use a smaller "
        "image size, or fewer images)",
        root, out.files.size(), o.channels, o.height, o.width,
        HumanBytes(static_cast<uint64_t>(bytes)), HumanBytes(static_cast<uint64_t>(o.max_feature_bytes)));
  }
  Dataset& d = out.data;
  d.name = name;
  d.kind = SampleKind::kDense;
  d.sample_shape = {o.channels, o.height, o.width};
  d.class_names = std::move(classes);
  d.features.resize(static_cast<size_t>(bytes / 4));
  image::DecodeForModelOptions decode;
  decode.channels = o.channels;
  decode.height = o.height;
  decode.width = o.width;
  for (size_t i = 0; i < out.files.size(); ++i) {
    const std::string path = root + "/" + out.files[i];
    SL_ASSIGN_OR_RETURN(std::string encoded, ReadFileToString(path));
    Result<image::PlanarImage> img = image::DecodeForModel(encoded, decode);
    if (!img.ok()) return InvalidArgument("{}: {}", path, img.status().message());
    std::copy(img->pixels.begin(), img->pixels.end(), d.features.begin() + i * numel);
  }
  d.labels = std::move(labels);
  return out;
}

}  // namespace sl::ml::data
