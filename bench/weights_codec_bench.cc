// What moving the weights of the Fashion-MNIST cnn costs, per format: the serverless trainer
// serializes and loads them twice per function per round (model N in, update out) and the
// coordinator loads every update. Compares, on this machine, in one run:
//   - torch archive (ml::Model::SerializeWeights / LoadWeights: pickle + zip),
//   - flat state blob (ml::Model::SerializeState / LoadWeights: JSON header + raw bytes),
//   - the integrity check of a frame: SHA-256 (OpenSSL) vs CRC-32C (SSE4.2).
// Prints the median of N repetitions (default 200) of each, in microseconds. glibc malloc is tuned
// as in straightline's processes (common/malloc_tuning.h); without it every 0.8 MB buffer is a
// fresh mmap and page faults dominate (the archive's serialize then takes ~5.5 ms here).
//   build/bench/weights_codec_bench [REPS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "common/malloc_tuning.h"
#include "common/sha256.h"
#include "ml/model.h"
#include "ml/model_spec.h"
#include "store/checksum.h"

namespace {

double MedianMicros(int reps, const std::function<void()>& fn) {
  std::vector<double> us;
  us.reserve(reps);
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(us.begin(), us.begin() + reps / 2, us.end());
  return us[reps / 2];
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "weights_codec_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 200;
  sl::TuneMallocForTensorWork();  // as the coordinator and the function runtimes do
  if (reps < 1) return Fail("REPS must be a positive number");
  sl::ml::InputSpec input;
  input.shape = {1, 28, 28};
  auto spec = sl::ml::MakeModelSpec("cnn", nullptr, input, 10);
  if (!spec.ok()) return Fail(spec.status().ToString());
  auto a = sl::ml::Model::Create(*spec, 1);
  auto b = sl::ml::Model::Create(*spec, 2);
  if (!a.ok() || !b.ok()) return Fail("cannot build the cnn");
  auto archive = a->SerializeWeights();
  if (!archive.ok()) return Fail(archive.status().ToString());
  const std::string state = a->SerializeState();
  std::printf("cnn, %lld parameters: torch archive %zu bytes, state blob %zu bytes; median of %d\n",
              static_cast<long long>(a->NumParameters()), archive->size(), state.size(), reps);

  bool ok = true;
  const double ser_archive = MedianMicros(reps, [&] { ok &= a->SerializeWeights().ok(); });
  const double ser_state = MedianMicros(reps, [&] { ok &= !a->SerializeState().empty(); });
  const double load_archive = MedianMicros(reps, [&] { ok &= b->LoadWeights(*archive, "archive").ok(); });
  const double load_state = MedianMicros(reps, [&] { ok &= b->LoadWeights(state, "state").ok(); });
  std::string sink;
  const double sha = MedianMicros(reps, [&] { sink = sl::Sha256Hex(state); });
  uint32_t crc = 0;
  const double crc32c = MedianMicros(reps, [&] { crc = sl::store::Crc32c(0, state); });
  if (!ok) return Fail("a serialize or load failed");

  std::printf("%-28s %12s %12s %8s\n", "step", "archive us", "state us", "ratio");
  std::printf("%-28s %12.1f %12.1f %7.1fx\n", "serialize", ser_archive, ser_state, ser_archive / ser_state);
  std::printf("%-28s %12.1f %12.1f %7.1fx\n", "load into a built model", load_archive, load_state,
              load_archive / load_state);
  std::printf("%-28s %12s %12s %8s\n", "", "SHA-256 us", "CRC-32C us", "");
  std::printf("%-28s %12.1f %12.1f %7.1fx   (crc32c hardware: %s; crc %08x, sha %.8s…)\n", "check the state blob", sha,
              crc32c, sha / crc32c, sl::store::Crc32cIsHardwareAccelerated() ? "yes" : "no", crc, sink.c_str());
  return 0;
}
