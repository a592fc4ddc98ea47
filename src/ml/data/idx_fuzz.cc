// libFuzzer target for IDX files (idx.h; MNIST / Fashion-MNIST, downloaded from the internet),
// read raw or gzipped through ReadMaybeGzipFile. The first byte picks: the expected dimension
// count (1..4), whether the harness gzips the rest first (bit 4), and whether the rest is an
// images/labels pair for LoadIdxPair (bit 5; the second byte x 16 is where the labels file
// starts). Contract checked: OK, INVALID_ARGUMENT or DATA_LOSS; an OK array has the dimensions
// asked for, each >= 1, and prod(dims) bytes, and serializing it again gives the file byte for
// byte (the format has no slack); a gzipped file reads exactly as the raw one; an OK pair is a
// dense dataset of shape {1, H, W} with N labels < 10 and N*H*W features equal to byte / 255.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target idx).
// Seeds: fuzz/corpus/idx/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ml/data/gzip_for_fuzz.h"
#include "ml/data/idx.h"
#include "ml/fuzz_tmp_file.h"

namespace {

using namespace sl::ml::data;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "idx_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckError(const sl::Status& s) {
  Check(s.code() == sl::Code::kInvalidArgument || s.code() == sl::Code::kDataLoss, "error code",
        s.ToString());
}

std::string Serialize(const IdxArray& a) {
  std::string out("\0\0\x08", 3);
  out.push_back(static_cast<char>(a.dims.size()));
  for (int64_t d : a.dims) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((d >> s) & 0xff));
  }
  return out + a.bytes;
}

const std::vector<std::string>& Classes() {
  static const std::vector<std::string> c = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const int ndims = 1 + flags % 4;
  const bool gz = (flags & 0x10) != 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto put = [&](const std::string& name, std::string_view bytes) {
    return sl::fuzz::PutFile(name, gz ? std::string_view(sl::fuzz::Gzip(bytes)) : bytes);
  };
  if ((flags & 0x20) == 0) {
    auto r = ReadIdx(put("a.idx", rest), ndims);
    if (gz && rest.substr(0, 2) != "\x1f\x8b") {  // gzipped reads as raw (unless raw is gzip)
      auto raw = ReadIdx(sl::fuzz::PutFile("raw.idx", rest), ndims);
      Check(r.ok() == raw.ok(), "gzip changes whether the file reads");
      if (!r.ok()) {
        Check(r.status().code() == raw.status().code(), "gzip changes the error");
      } else {
        Check(r->dims == raw->dims && r->bytes == raw->bytes, "gzip changes the array");
      }
    }
    if (!r.ok()) return CheckError(r.status()), 0;
    Check(static_cast<int>(r->dims.size()) == ndims, "dimension count");
    uint64_t total = 1;
    for (int64_t d : r->dims) {
      Check(d >= 1, "a dimension < 1");
      total *= static_cast<uint64_t>(d);
    }
    Check(total == r->bytes.size(), "prod(dims) != bytes");
    // (A file that is itself gzip, 1f 8b, was gunzipped: its array is not its bytes.)
    if (rest.substr(0, 2) != "\x1f\x8b") {
      Check(Serialize(*r) == rest, "serializing the array does not give the file back");
    }
    return 0;
  }
  const size_t split = std::min<size_t>(rest.size(), static_cast<size_t>(rest[0] & 0xff) * 16 + 1);
  const std::string images = put("images.idx", rest.substr(1, split - 1));
  const std::string labels = put("labels.idx", rest.substr(split));
  auto d = LoadIdxPair(images, labels, Classes(), "fuzz");
  if (!d.ok()) return CheckError(d.status()), 0;
  Check(d->sample_shape.size() == 3 && d->sample_shape[0] == 1, "sample shape");
  const size_t n = d->labels.size();
  const size_t hw = static_cast<size_t>(d->sample_shape[1] * d->sample_shape[2]);
  Check(d->features.size() == n * hw, "features != N*H*W");
  for (int64_t l : d->labels) Check(l >= 0 && l < 10, "label out of range accepted");
  auto img = ReadIdx(images, 3);
  Check(img.ok(), "the images of an OK pair do not read alone");
  for (size_t i = 0; i < d->features.size(); ++i) {
    Check(d->features[i] == static_cast<float>(static_cast<uint8_t>(img->bytes[i])) / 255.0f,
          "feature != byte / 255");
  }
  return 0;
}
