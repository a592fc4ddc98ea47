// CreatedFunctionsFile: the functions a platform's control plane created at run time
// (CreateFunction on `platform serve`), kept in a JSON file so that a restarted server has them
// again — Lambda's control plane is durable, and a remote coordinator that created its functions
// once must find them after the platform's host crashed and came back.
//
// The file ({"functions": [{name, handler, provider, memory_mb, timeout_s, environment}, ...]})
// is rewritten atomically (common/file_util.h WriteFileAtomic) on every change, mode 0600 in a
// folder it creates 0700: environments may hold the caller's store credentials. Only built-in handlers are recorded
// (the only kind CreateFunction makes).
// Failure contract: Load of a missing file is an empty list; a malformed file is DATA_LOSS naming
// the file and the entry; write errors name the file.
// Thread safety: Add/Remove may be called from any thread (serialised inside).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "faas/function_spec.h"

namespace sl::faas {

class CreatedFunctionsFile {
 public:
  explicit CreatedFunctionsFile(std::string path) : path_(std::move(path)) {}

  Result<std::vector<FunctionSpec>> Load();
  Status Add(const FunctionSpec& spec);  // replaces an entry of the same name
  Status Remove(const std::string& name);
  const std::string& path() const { return path_; }

 private:
  Status WriteLocked();
  const std::string path_;
  std::mutex mu_;
  bool loaded_ = false;              // GUARDED_BY(mu_)
  std::vector<FunctionSpec> specs_;  // GUARDED_BY(mu_)
};

}  // namespace sl::faas
