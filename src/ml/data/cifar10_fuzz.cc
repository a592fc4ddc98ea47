// libFuzzer target for CIFAR-10 binary batches and batches.meta.txt (cifar10.h; downloaded from
// the internet), raw or gzipped. The first byte picks: a batch (bit 0 clear) or the class-names
// file (bit 0 set); gzip the rest first (bit 4, batches only). Contract checked: OK,
// INVALID_ARGUMENT or DATA_LOSS; an OK batch appends size / 3073 records with labels < 10 and
// 3072 features each equal to byte / 255, appending twice gives twice the records, and the
// gzipped batch gives the same dataset as the raw one; OK class names are exactly 10 non-empty
// lines without line breaks or trailing blanks.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// cifar10). Seeds: fuzz/corpus/cifar10/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ml/data/cifar10.h"
#include "ml/data/gzip_for_fuzz.h"
#include "ml/fuzz_tmp_file.h"

namespace {

using namespace sl::ml;
using namespace sl::ml::data;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "cifar10_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

Dataset Empty() {
  Dataset d;
  d.kind = SampleKind::kDense;
  d.sample_shape = {3, 32, 32};
  d.class_names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (flags & 1) {
    sl::fuzz::PutFile("batches.meta.txt", rest);
    auto names = Cifar10ClassNames(sl::fuzz::TempDir());
    if (!names.ok()) {
      Check(names.status().code() == sl::Code::kInvalidArgument, "error code",
            names.status().ToString());
      return 0;
    }
    Check(names->size() == 10, "not 10 names");
    for (const auto& n : *names) {
      Check(!n.empty() && n.find('\n') == std::string::npos && n.back() != '\r' &&
                n.back() != ' ' && n.back() != '\t',
            "a class name", n);
    }
    return 0;
  }
  const bool gz = (flags & 0x10) != 0;
  const std::string path = sl::fuzz::PutFile(
      "batch.bin", gz ? std::string_view(sl::fuzz::Gzip(rest)) : rest);
  Dataset d = Empty();
  sl::Status s = AppendCifar10Batch(path, d);
  if (gz && rest.substr(0, 2) != "\x1f\x8b") {  // gzipped reads as raw (unless raw is gzip)
    Dataset raw = Empty();
    sl::Status rs = AppendCifar10Batch(sl::fuzz::PutFile("raw.bin", rest), raw);
    Check(s.code() == rs.code(), "gzip changes the outcome", s.ToString() + " vs " + rs.ToString());
    Check(raw.labels == d.labels && raw.features == d.features, "gzip changes the dataset");
  }
  if (!s.ok()) {
    Check(s.code() == sl::Code::kInvalidArgument || s.code() == sl::Code::kDataLoss, "error code",
          s.ToString());
    Check(d.labels.empty() && d.features.empty(), "a failed append left records behind");
    return 0;
  }
  const size_t records = rest.size() / kCifarRecordBytes;
  Check(rest.size() % kCifarRecordBytes == 0 && records > 0, "a partial or empty batch accepted");
  Check(d.labels.size() == records && d.features.size() == records * (kCifarRecordBytes - 1),
        "record count");
  for (size_t i = 0; i < records; ++i) {
    const auto* rec = reinterpret_cast<const uint8_t*>(rest.data()) + i * kCifarRecordBytes;
    Check(d.labels[i] == rec[0] && rec[0] < 10, "label");
    for (int k = 1; k < kCifarRecordBytes; ++k) {
      Check(d.features[i * (kCifarRecordBytes - 1) + k - 1] == static_cast<float>(rec[k]) / 255.0f,
            "feature != byte / 255");
    }
  }
  Check(AppendCifar10Batch(path, d).ok(), "a batch that appended once does not append again");
  Check(d.labels.size() == 2 * records, "appending twice");
  return 0;
}
