#include "ml/data/cifar10.h"

#include "common/file_util.h"
#include "ml/data/compressed_file.h"

namespace sl::ml::data {
namespace {

Dataset EmptyCifar(const std::vector<std::string>& classes) {
  Dataset d;
  d.name = "cifar10";
  d.kind = SampleKind::kDense;
  d.sample_shape = {3, 32, 32};
  d.class_names = classes;
  return d;
}

Result<std::string> BatchFile(const std::string& dir, const std::string& stem) {
  return FirstExisting({dir + "/" + stem, dir + "/" + stem + ".gz"}, dir + "/" + stem);
}

}  // namespace

Status AppendCifar10Batch(const std::string& path, Dataset& out) {
  SL_ASSIGN_OR_RETURN(std::string data, ReadMaybeGzipFile(path));
  if (data.empty()) return DataLoss("{}: empty CIFAR-10 batch (no records)", path);
  const size_t records = data.size() / kCifarRecordBytes;
  if (data.size() % kCifarRecordBytes != 0) {
    return DataLoss("{}: truncated record {} at byte offset {}: has {} of {} bytes (file size {} "
                    "is not a multiple of {})", path, records, records * kCifarRecordBytes,
                    data.size() % kCifarRecordBytes, kCifarRecordBytes, data.size(),
                    kCifarRecordBytes);
  }
  const int64_t classes = out.num_classes();
  const auto* u = reinterpret_cast<const unsigned char*>(data.data());
  for (size_t i = 0; i < records; ++i) {
    const int64_t label = u[i * kCifarRecordBytes];
    if (label >= classes) {
      return InvalidArgument("{}: record {} at byte offset {}: label {} is out of range [0, {})",
                             path, i, i * kCifarRecordBytes, label, classes);
    }
  }
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
  const size_t base = out.features.size();
  out.features.resize(base + records * (kCifarRecordBytes - 1));
  float* dst = out.features.data() + base;
  for (size_t i = 0; i < records; ++i) {
    const unsigned char* rec = u + i * kCifarRecordBytes;
    out.labels.push_back(rec[0]);
    for (int k = 1; k < kCifarRecordBytes; ++k) *dst++ = scale[rec[k]];
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Cifar10ClassNames(const std::string& dir) {
  const std::string meta = dir + "/batches.meta.txt";
  if (!PathExists(meta)) {
    return std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"};
  }
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(meta));
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    if (!line.empty()) names.push_back(line);
  }
  if (names.size() != 10) {
    return InvalidArgument("{}: expected 10 class names (one per line), found {}", meta,
                           names.size());
  }
  return names;
}

Result<Cifar10> LoadCifar10(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFound("{}: CIFAR-10 directory does not exist", dir);
  SL_ASSIGN_OR_RETURN(std::vector<std::string> classes, Cifar10ClassNames(dir));
  // Resolve every file first so a missing one is reported before any slow decoding.
  std::vector<std::string> train_files;
  for (int b = 1; b <= 5; ++b) {
    SL_ASSIGN_OR_RETURN(std::string f, BatchFile(dir, fmt::format("data_batch_{}.bin", b)));
    train_files.push_back(f);
  }
  SL_ASSIGN_OR_RETURN(std::string test_file, BatchFile(dir, "test_batch.bin"));
  Cifar10 out{EmptyCifar(classes), EmptyCifar(classes)};
  for (const auto& f : train_files) SL_RETURN_IF_ERROR(AppendCifar10Batch(f, out.train));
  SL_RETURN_IF_ERROR(AppendCifar10Batch(test_file, out.test));
  return out;
}

}  // namespace sl::ml::data
