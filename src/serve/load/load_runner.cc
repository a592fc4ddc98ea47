#include "serve/load/load_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/clock.h"
#include "common/http_client.h"
#include "serve/load/lean_http_client.h"

namespace sl::serve::load {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct PendingSession {
  int32_t phase = 0;
  SteadyClock::time_point arrival;
};

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

Result<ModelInputInfo> ParseModelMetadata(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("inputs") || !j["inputs"].is_array() ||
      j["inputs"].empty()) {
    return InvalidArgument("model metadata: no 'inputs' array in '{}'", json.substr(0, 200));
  }
  const nlohmann::json& in = j["inputs"][0];
  ModelInputInfo info;
  if (in.contains("name") && in["name"].is_string()) info.name = in["name"].get<std::string>();
  if (in.contains("datatype") && in["datatype"].is_string()) info.datatype = in["datatype"].get<std::string>();
  if (!in.contains("shape") || !in["shape"].is_array()) {
    return InvalidArgument("model metadata: inputs[0].shape missing");
  }
  for (const auto& d : in["shape"]) {
    if (!d.is_number_integer()) return InvalidArgument("model metadata: inputs[0].shape has a non-integer");
    info.shape.push_back(d.get<int64_t>());
  }
  if (!info.shape.empty() && info.shape.front() < 0) info.shape.erase(info.shape.begin());
  info.numel = 1;
  for (int64_t d : info.shape) {
    if (d <= 0) return InvalidArgument("model metadata: inputs[0].shape has dimension {}", d);
    info.numel *= d;
  }
  return info;
}

Result<Payload> BuildPayload(const PayloadKind& kind, const ModelInputInfo& input, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Payload p;
  if (kind.kind == "pixels" || kind.kind == "raw") {
    if (input.datatype == "BYTES") return InvalidArgument("payload '{}': text models take json only", kind.kind);
    p.content_type = "application/octet-stream";
    if (kind.kind == "pixels") {
      p.body.resize(static_cast<size_t>(input.numel));
      for (char& c : p.body) c = static_cast<char>(rng() & 0xff);
    } else {
      p.body.resize(static_cast<size_t>(input.numel) * 4);
      for (int64_t i = 0; i < input.numel; ++i) {
        float v = unit(rng);
        std::memcpy(p.body.data() + i * 4, &v, 4);  // little-endian host
      }
    }
    return p;
  }
  if (kind.kind == "binary") {
    if (input.datatype == "BYTES") return InvalidArgument("payload 'binary': text models take json only");
    const int64_t n = kind.batch;
    std::vector<int64_t> shape = {n};
    shape.insert(shape.end(), input.shape.begin(), input.shape.end());
    const std::string tensor(static_cast<size_t>(n * input.numel) * 4, '\0');
    const std::string header =
        nlohmann::json{{"inputs", nlohmann::json::array({{{"name", input.name},
                                                          {"datatype", "FP32"},
                                                          {"shape", shape},
                                                          {"parameters", {{"binary_data_size", tensor.size()}}}}})}}
            .dump();
    p.content_type = "application/octet-stream";
    p.json_header_bytes = static_cast<int64_t>(header.size());
    p.body = header + tensor;
    for (int64_t i = 0; i < n * input.numel; ++i) {
      float v = unit(rng);
      std::memcpy(p.body.data() + header.size() + i * 4, &v, 4);  // little-endian host
    }
    return p;
  }
  const int64_t n = kind.kind == "batch" ? kind.batch : 1;
  nlohmann::json tensor;
  tensor["name"] = input.name;
  std::vector<int64_t> shape = {n};
  if (input.datatype == "BYTES") {
    tensor["datatype"] = "BYTES";
    std::vector<std::string> texts;
    for (int64_t i = 0; i < n; ++i) texts.push_back(fmt::format("free money offer number {} click now", rng() % 1000));
    tensor["shape"] = shape;
    tensor["data"] = texts;
  } else {
    shape.insert(shape.end(), input.shape.begin(), input.shape.end());
    tensor["datatype"] = "FP32";
    tensor["shape"] = shape;
    std::string data;
    data.reserve(static_cast<size_t>(n * input.numel * 6));
    for (int64_t i = 0; i < n * input.numel; ++i) {
      if (i) data += ',';
      data += fmt::format("{:.3f}", unit(rng));
    }
    // Splice the numbers in as text (nlohmann would print floats with 9 digits).
    tensor["data"] = "@DATA@";
    std::string body = nlohmann::json{{"inputs", nlohmann::json::array({tensor})}}.dump();
    size_t at = body.find("\"@DATA@\"");
    body.replace(at, 8, "[" + data + "]");
    p.content_type = "application/json";
    p.body = std::move(body);
    return p;
  }
  p.content_type = "application/json";
  p.body = nlohmann::json{{"inputs", nlohmann::json::array({tensor})}}.dump();
  return p;
}

Result<LoadResult> RunLoad(const LoadSpec& spec) {
  SL_RETURN_IF_ERROR(ValidateSpec(spec));
  std::string base = spec.target;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string infer_path = "/v2/models/" + spec.model + "/infer";

  const std::string bearer = spec.auth_token.empty() ? "" : "Bearer " + spec.auth_token;
  ModelInputInfo input;
  {
    HttpClient client;
    HttpHeaders headers;
    if (!bearer.empty()) headers.Set("Authorization", bearer);
    auto meta = client.Get(base + "/v2/models/" + spec.model, headers);
    if (!meta.ok()) return meta.status().WithContext("load: model metadata");
    if (meta->status == 404) return NotFound("load: model '{}' not found at {}", spec.model, base);
    if (meta->status == 401) {
      return PermissionDenied("load: GET /v2/models/{} answered 401 ({}): {}", spec.model,
                              spec.auth_token.empty() ? "no token sent; give the server's token "
                                                        "with --auth-token-file FILE or "
                                                        "STRAIGHTLINE_TOKEN"
                                                      : "the token sent was refused",
                              meta->body.substr(0, 200));
    }
    if (meta->status != 200) {
      return Unavailable("load: GET /v2/models/{} answered {}: {}", spec.model, meta->status,
                         meta->body.substr(0, 200));
    }
    SL_ASSIGN_OR_RETURN(input, ParseModelMetadata(meta->body));
  }
  LoadResult result;
  std::vector<Payload> payloads;
  std::vector<double> weights;
  std::vector<std::vector<std::pair<std::string, std::string>>> payload_headers;
  for (size_t i = 0; i < spec.payloads.size(); ++i) {
    SL_ASSIGN_OR_RETURN(Payload p, BuildPayload(spec.payloads[i], input, spec.seed + i));
    result.payload_bytes.push_back(static_cast<int64_t>(p.body.size()));
    payload_headers.push_back({{"Content-Type", p.content_type}});
    if (!bearer.empty()) payload_headers.back().emplace_back("Authorization", bearer);
    if (p.json_header_bytes >= 0) {
      payload_headers.back().emplace_back("Inference-Header-Content-Length", std::to_string(p.json_header_bytes));
    }
    payloads.push_back(std::move(p));
    weights.push_back(spec.payloads[i].weight);
  }

  const int64_t backlog = spec.backlog > 0 ? spec.backlog : 16 * spec.concurrency;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<PendingSession> queue;  // GUARDED_BY(mu)
  bool done = false;                 // GUARDED_BY(mu)
  // The start of second 0 of the timeline: the first arrival can come no earlier.
  const auto start = Clock::Real()->Now();
  auto recorder = std::make_shared<LoadRecorder>(spec.phases.size(), start);

  auto worker = [&](size_t w) {
    LeanHttpClient client(base, spec.timeout_ms,
                          std::vector<std::string>{"X-Straightline-Tier", "X-Straightline-Rule",
                                                   "X-Straightline-Frequency"});
    std::mt19937_64 rng(spec.seed * 7919 + w);
    std::discrete_distribution<int> pick(weights.begin(), weights.end());
    while (true) {
      PendingSession s;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done || !queue.empty(); });
        if (queue.empty()) return;
        s = queue.front();
        queue.pop_front();
      }
      bool ok = true;
      FailureCause cause = FailureCause::kServerError;
      RequestOutcome rec;
      for (int64_t r = 0; r < spec.session_requests; ++r) {
        rec = RequestOutcome{};
        rec.phase = s.phase;
        const auto k = static_cast<size_t>(pick(rng));
        auto t0 = Clock::Real()->Now();
        auto resp = client.Post(infer_path, payloads[k].body, payload_headers[k]);
        rec.response_ms = Ms(Clock::Real()->Now() - t0);
        if (resp.ok()) {
          rec.status = resp->status;
          rec.tier = TierOfHeader(resp->kept[0]);
          rec.rule = resp->kept[1];
          ParseFrequencyHeader(resp->kept[2], &rec.f_t, &rec.threshold);
        }
        bool good = rec.status >= 200 && rec.status < 300;
        recorder->Request(s.arrival, rec);
        if (!good) {
          ok = false;
          cause = CauseOfStatus(rec.status);
          break;  // a failed request ends the session (as Artillery's scenario does)
        }
      }
      recorder->Session(s.arrival, Clock::Real()->Now(), s.phase, ok, cause);
    }
  };

  std::vector<std::thread> workers;
  for (int64_t w = 0; w < spec.concurrency; ++w) workers.emplace_back(worker, static_cast<size_t>(w));

  int64_t released_requests = 0;
  double offset = 0;
  bool bounded_out = false;
  for (size_t pi = 0; pi < spec.phases.size() && !bounded_out; ++pi) {
    const Phase& ph = spec.phases[pi];
    for (int64_t k = 1;; ++k) {
      double t = ph.ArrivalTime(k);
      if (t < 0) break;
      if (spec.max_total > 0 && released_requests + spec.session_requests > spec.max_total) {
        bounded_out = true;
        break;
      }
      auto when = start + std::chrono::duration_cast<SteadyClock::duration>(
                              std::chrono::duration<double>(offset + t));
      std::this_thread::sleep_until(when);
      released_requests += spec.session_requests;
      bool full = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (static_cast<int64_t>(queue.size()) >= backlog) {
          full = true;
        } else {
          queue.push_back({static_cast<int32_t>(pi), when});
        }
      }
      if (full) {
        recorder->Dropped(when, static_cast<int32_t>(pi));
      } else {
        cv.notify_one();
      }
    }
    offset += ph.duration_s;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  for (auto& t : workers) t.join();
  result.wall_s = std::chrono::duration<double>(Clock::Real()->Now() - start).count();
  result.dropped_sessions = recorder->dropped_sessions();
  result.recorded = std::move(recorder);
  return result;
}

}  // namespace sl::serve::load
