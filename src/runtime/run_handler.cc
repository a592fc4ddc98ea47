#include "runtime/run_handler.h"

#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/file_util.h"

#include "runtime/run_handler_http_api.h"
#include "runtime/runtime_api_client.h"

namespace sl::runtime {
namespace {

std::string ErrorJson(const std::string& message, const std::string& type) {
  return nlohmann::json{{"errorMessage", message}, {"errorType", type},
                        {"stackTrace", nlohmann::json::array()}}
      .dump();
}

int ServeLoop(const Handler& handler, const std::string& endpoint) {
  RuntimeApiClient client(endpoint);
  for (;;) {
    auto next = client.Next();
    if (!next.ok()) {
      if (next.status().code() == Code::kUnavailable) return 0;  // platform gone: scale-down
      std::fprintf(stderr, "runtime: %s\n", next.status().ToString().c_str());
      return 3;
    }
    InvocationResponse response;
    try {
      response = DispatchInvocation(handler, *next);  // API Gateway HTTP API events unwrapped
    } catch (const std::exception& e) {
      response = InvocationResponse::Failure(e.what(), "Runtime.UnhandledException");
    } catch (...) {
      response = InvocationResponse::Failure("unknown exception", "Runtime.UnhandledException");
    }
    std::fflush(stdout);
    std::fflush(stderr);
    Status posted = response.success
                        ? client.PostResponse(next->request_id, response.payload,
                                              response.content_type)
                        : client.PostError(next->request_id, response.payload,
                                           response.error_type);
    if (!posted.ok()) {
      if (posted.code() == Code::kUnavailable) return 0;
      // e.g. the platform already timed the request out: log and keep serving.
      std::fprintf(stderr, "runtime: %s\n", posted.ToString().c_str());
    }
  }
}

}  // namespace

int RunHandler(const HandlerRegistry::Entry& entry, const std::string& endpoint,
               int concurrency) {
  if (entry.init) {
    Status s;
    try {
      s = entry.init();
    } catch (const std::exception& e) {
      s = Internal("{}", e.what());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "runtime: init of handler '%s' failed: %s\n", entry.name.c_str(),
                   s.ToString().c_str());
      std::fflush(stderr);
      RuntimeApiClient client(endpoint);
      client.PostInitError(ErrorJson(s.ToString(), "Runtime.InitError"), "Runtime.InitError")
          .IgnoreError();  // exiting anyway; the platform also sees the exit
      return 1;
    }
  }
  if (concurrency <= 1) return ServeLoop(entry.handler, endpoint);
  std::vector<std::thread> threads;
  std::vector<int> codes(static_cast<size_t>(concurrency), 0);
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&, i] { codes[static_cast<size_t>(i)] = ServeLoop(entry.handler, endpoint); });
  }
  for (auto& t : threads) t.join();
  for (int c : codes) {
    if (c != 0) return c;
  }
  return 0;
}

Result<std::optional<PackagedFunction>> LookUpPackagedFunction(const std::string& name) {
  const char* file = std::getenv("STRAIGHTLINE_FUNCTIONS_FILE");
  if (file == nullptr || *file == '\0' || name.empty()) return std::optional<PackagedFunction>();
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("functions") || !j["functions"].is_object()) {
    return DataLoss("{}: not a functions index (no \"functions\" object)", file);
  }
  if (!j["functions"].contains(name)) return std::optional<PackagedFunction>();
  const nlohmann::json& e = j["functions"][name];
  if (!e.is_object() || !e.contains("handler") || !e["handler"].is_string()) {
    return DataLoss("{}: function '{}' has no handler", file, name);
  }
  PackagedFunction f;
  f.name = name;
  f.handler = e["handler"].get<std::string>();
  if (e.value("runtime", std::string("builtin")) == "provided") {
    if (!e.contains("bootstrap") || !e["bootstrap"].is_string()) {
      return DataLoss("{}: custom-runtime function '{}' has no bootstrap", file, name);
    }
    f.bootstrap = e["bootstrap"].get<std::string>();
    f.task_root = e.value("task_root", std::string());
  }
  if (e.contains("environment") && e["environment"].is_object()) {
    for (const auto& [k, v] : e["environment"].items()) {
      if (v.is_string()) f.environment[k] = v.get<std::string>();
    }
  }
  return std::optional<PackagedFunction>(std::move(f));
}

void ApplyDefaultEnvironment(const PackagedFunction& f) {
  for (const auto& [k, v] : f.environment) setenv(k.c_str(), v.c_str(), /*overwrite=*/0);
}

int RunFromEnvironment(const HandlerRegistry& registry) {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  const char* name = std::getenv("_HANDLER");
  if (api == nullptr || *api == '\0') {
    std::fprintf(stderr, "runtime: AWS_LAMBDA_RUNTIME_API is not set\n");
    return 2;
  }
  std::string handler = name ? name : "";
  // A function of the image's functions file, named by the CMD.
  auto packaged = LookUpPackagedFunction(handler);
  if (!packaged.ok()) {
    std::fprintf(stderr, "runtime: %s\n", packaged.status().ToString().c_str());
    std::fflush(stderr);
    RuntimeApiClient client(api);
    client.PostInitError(ErrorJson(packaged.status().ToString(), "Runtime.InitError"), "Runtime.InitError")
        .IgnoreError();
    return 2;
  }
  if (packaged->has_value()) {
    const PackagedFunction& f = **packaged;
    ApplyDefaultEnvironment(f);
    if (!f.bootstrap.empty()) {
      // A custom runtime: its bootstrap polls the same Runtime API (Lambda's provided.al2023).
      setenv("_HANDLER", f.handler.c_str(), 1);
      if (!f.task_root.empty()) {
        setenv("LAMBDA_TASK_ROOT", f.task_root.c_str(), 1);
        if (chdir(f.task_root.c_str()) != 0) {
          std::fprintf(stderr, "runtime: chdir %s: %s\n", f.task_root.c_str(), std::strerror(errno));
        }
      }
      std::fflush(stdout);
      std::fflush(stderr);
      char* argv[] = {const_cast<char*>(f.bootstrap.c_str()), nullptr};
      execv(f.bootstrap.c_str(), argv);
      const std::string msg = fmt::format("function '{}': exec {}: {}", f.name, f.bootstrap, std::strerror(errno));
      std::fprintf(stderr, "runtime: %s\n", msg.c_str());
      std::fflush(stderr);
      RuntimeApiClient client(api);
      client.PostInitError(ErrorJson(msg, "Runtime.InvalidEntrypoint"), "Runtime.InvalidEntrypoint").IgnoreError();
      return 2;
    }
    handler = f.handler;
    setenv("_HANDLER", handler.c_str(), 1);
  }
  const HandlerRegistry::Entry* entry = registry.Find(handler);
  if (entry == nullptr) {
    std::string known;
    for (const auto& n : registry.Names()) known += (known.empty() ? "" : ", ") + n;
    std::string msg = fmt::format("no built-in handler '{}' (known: {})", handler, known);
    std::fprintf(stderr, "runtime: %s\n", msg.c_str());
    std::fflush(stderr);
    RuntimeApiClient client(api);
    client.PostInitError(ErrorJson(msg, "Runtime.HandlerNotFound"), "Runtime.HandlerNotFound")
        .IgnoreError();
    return 2;
  }
  int concurrency = 1;
  if (const char* c = std::getenv("AWS_LAMBDA_MAX_CONCURRENCY")) concurrency = std::atoi(c);
  return RunHandler(*entry, api, concurrency < 1 ? 1 : concurrency);
}

}  // namespace sl::runtime
