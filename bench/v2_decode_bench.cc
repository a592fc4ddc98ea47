// Micro benchmark of KServe v2 JSON request decoding (docs/benchmarks.md, "KServe v2 JSON request
// decoding"): the typical request — one 28x28 FP32 image, 784 numbers written as `straightline
// load` writes them ("0.123", shape [1,1,28,28], ~4.8 KB) — and a 32-image batch, decoded N times
//   new:       DecodeRequest (json_reader.h: one validating pass, then from_chars per number)
//   nlohmann:  nlohmann::json::parse + get<double> of every number, cast to float (the old
//              approach's parsing cost, nothing else)
//   old codec: the whole nlohmann-based decoder it replaced (v2_decode_reference.h)
// in interleaved rounds, reporting each one's best round in µs per request and the ratios.
// Single-threaded; the machine is noisy, so compare within a run.
//
//   cmake --build build --target v2_decode_bench && build/bench/v2_decode_bench [iterations]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "serve/v2/v2_codec.h"
#include "serve/v2/v2_decode_reference.h"

namespace {

using sl::serve::v2::ModelInput;

// Like serve/load/load_runner.cc: uniform [0, 1) values with 3 decimals, spliced in as text.
std::string MakeBody(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string data;
  for (int64_t i = 0; i < n * 784; ++i) {
    if (i) data += ',';
    data += fmt::format("{:.3f}", static_cast<double>(rng() >> 11) * 0x1p-53);
  }
  return fmt::format(
      R"({{"inputs":[{{"datatype":"FP32","name":"input__0","shape":[{},1,28,28],"data":[{}]}}]}})",
      n, data);
}

// The old approach's parse: the document, then every number as get<double>, cast to float.
void FlattenNlohmann(const nlohmann::json& j, std::vector<float>* out) {
  for (const auto& v : j) {
    if (v.is_array()) {
      FlattenNlohmann(v, out);
    } else {
      out->push_back(static_cast<float>(v.get<double>()));
    }
  }
}

std::vector<float> DecodeNlohmann(const std::string& body, size_t reserve) {
  const auto doc = nlohmann::json::parse(body);
  std::vector<float> out;
  out.reserve(reserve);
  FlattenNlohmann(doc["inputs"][0]["data"], &out);
  return out;
}

std::vector<float> DecodeNew(const std::string& body, const ModelInput& input) {
  auto r = sl::serve::v2::DecodeRequest("m", "application/json", body, input);
  if (!r.ok()) {
    std::fprintf(stderr, "decode failed: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r->dense);
}

std::vector<float> DecodeOld(const std::string& body, const ModelInput& input) {
  auto r = sl::serve::v2::ReferenceDecodeJson("m", body, input);
  if (!r.ok()) {
    std::fprintf(stderr, "old decode failed: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r->dense);
}

// Best of `rounds` interleaved rounds of `iters` calls each, in µs per call.
std::vector<double> Time(const std::vector<std::function<float()>>& fns, int rounds, int iters) {
  std::vector<double> best(fns.size(), 1e300);
  volatile float sink = 0;
  for (int r = 0; r < rounds; ++r) {
    for (size_t f = 0; f < fns.size(); ++f) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < iters; ++i) sink = sink + fns[f]();
      const std::chrono::duration<double, std::micro> dt = std::chrono::steady_clock::now() - t0;
      best[f] = std::min(best[f], dt.count() / iters);
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  if (iterations < 1) {
    std::fprintf(stderr, "usage: v2_decode_bench [iterations (default 2000)]\n");
    return 2;
  }
  ModelInput input;
  input.shape = {1, 28, 28};
  std::printf("%-22s %8s %10s %10s %10s %9s %9s\n", "request", "bytes", "new µs", "nlohmann",
              "old codec", "nl/new", "old/new");
  for (int64_t n : {1, 32}) {
    const std::string body = MakeBody(n, 42 + static_cast<uint64_t>(n));
    const size_t numel = static_cast<size_t>(n * 784);
    // The three must agree before their speed means anything.
    const auto a = DecodeNew(body, input), b = DecodeNlohmann(body, numel),
               c = DecodeOld(body, input);
    if (a.size() != numel || a != b || a != c) {
      std::fprintf(stderr, "decoders disagree on the %lld-image body\n",
                   static_cast<long long>(n));
      return 1;
    }
    const int iters = std::max(1, iterations / static_cast<int>(n));
    const auto us = Time({[&] { return DecodeNew(body, input)[0]; },
                          [&] { return DecodeNlohmann(body, numel)[0]; },
                          [&] { return DecodeOld(body, input)[0]; }},
                         /*rounds=*/5, iters);
    std::printf("%-22s %8zu %10.1f %10.1f %10.1f %8.2fx %8.2fx\n",
                fmt::format("FP32 {} x 784 ({} it)", n, iters).c_str(), body.size(), us[0],
                us[1], us[2], us[1] / us[0], us[2] / us[0]);
  }
  return 0;
}
