// Batch-1 latency of a model's prediction alone — no HTTP, no decoding of a request — for the
// serving benchmarks (issue 22: "one connection: p50 within 0.1 ms of the model's forward pass at
// batch 1"). Loads a model folder (native or imported TorchScript) with ml::Predictor, as the
// local tier does, with libtorch's intra-op threads set as the local tier sets them (1), and
// times PredictDense on one random sample: normalisation, the forward pass, softmax and argmax.
//   build/bench/predict_latency MODEL_DIR [ITERATIONS=5000] [TORCH_THREADS=1]
// prints: model, format, iterations, p50_us, p90_us, p99_us, mean_us (one line, key=value).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/clock.h"
#include "ml/predictor.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: %s MODEL_DIR [ITERATIONS=5000] [TORCH_THREADS=1]\n", argv[0]);
    return argc < 2 ? 2 : 0;
  }
  const std::string dir = argv[1];
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  if (iterations < 10 || threads < 1) {
    std::fprintf(stderr, "ITERATIONS must be >= 10 and TORCH_THREADS >= 1\n");
    return 2;
  }
  sl::ml::SetInferenceThreads(threads);
  auto predictor = sl::ml::Predictor::Load(dir);
  if (!predictor.ok()) {
    std::fprintf(stderr, "%s\n", predictor.status().ToString().c_str());
    return 1;
  }
  const int64_t numel = (*predictor)->input().Numel();
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> sample(static_cast<size_t>(numel));
  for (auto& v : sample) v = u(rng);
  for (int i = 0; i < 200; ++i) {  // warm-up: allocator, oneDNN primitives, TorchScript profiling
    if (auto r = (*predictor)->PredictDense(sample, 1); !r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  std::vector<double> us;
  us.reserve(static_cast<size_t>(iterations));
  sl::Clock* clock = sl::Clock::Real();
  for (int i = 0; i < iterations; ++i) {
    const sl::TimePoint t0 = clock->Now();
    auto r = (*predictor)->PredictDense(sample, 1);
    us.push_back(std::chrono::duration<double, std::micro>(clock->Now() - t0).count());
    if (!r.ok()) return 1;
  }
  std::vector<double> sorted = us;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
  };
  double mean = 0;
  for (double v : us) mean += v;
  mean /= static_cast<double>(us.size());
  fmt::print("model={} format={} iterations={} torch_threads={} p50_us={:.1f} p90_us={:.1f} "
             "p99_us={:.1f} mean_us={:.1f}\n",
             (*predictor)->manifest().model.name,
             (*predictor)->manifest().format == sl::ml::ArtifactFormat::kNative ? "native" : "torchscript",
             iterations, threads,
             pct(0.5), pct(0.9), pct(0.99), mean);
  return 0;
}
