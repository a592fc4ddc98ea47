#include "runtime/handler_registry.h"

#include "common/clock.h"

#include <nlohmann/json.hpp>

namespace sl::runtime {

std::chrono::milliseconds InvocationRequest::RemainingTime() const {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 Clock::Real()->WallNow().time_since_epoch())
                 .count();
  return std::chrono::milliseconds(deadline_ms - now);
}

InvocationResponse InvocationResponse::Success(std::string payload, std::string content_type) {
  InvocationResponse r;
  r.payload = std::move(payload);
  r.content_type = std::move(content_type);
  return r;
}

InvocationResponse InvocationResponse::Failure(const std::string& message,
                                               const std::string& type) {
  InvocationResponse r;
  r.success = false;
  r.error_type = type;
  r.payload = nlohmann::json{{"errorMessage", message},
                             {"errorType", type},
                             {"stackTrace", nlohmann::json::array()}}
                  .dump();
  return r;
}

Status HandlerRegistry::Register(std::string name, Handler handler, InitHook init) {
  if (entries_.count(name)) return AlreadyExists("handler '{}' is already registered", name);
  Entry e{name, std::move(handler), std::move(init)};
  entries_.emplace(std::move(name), std::move(e));
  return Status::Ok();
}

const HandlerRegistry::Entry* HandlerRegistry::Find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) names.push_back(name);
  return names;
}

}  // namespace sl::runtime
