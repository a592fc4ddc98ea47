// The invocation ledger: a JSON Lines file, one InvocationRecord per line.
//
// LedgerWriter appends each record with a single write(2) of one complete line to a descriptor
// opened with O_APPEND, so lines from several threads — or several processes sharing the file —
// never interleave on a local filesystem. No fsync: a crash may lose the last lines but never
// leaves half a line from a completed Append. A short write (disk full) is reported as an error.
// Thread safety: Append may be called from any number of threads at once.
//
// ReadLedger returns every record; a malformed line is DATA_LOSS naming the file and line:
//   "run/ledger.jsonl:12: invalid JSON: ..." / "run/ledger.jsonl:7: missing field 'function'".
// Blank lines are skipped.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "faas/economics/invocation_record.h"

namespace sl::faas {

class LedgerWriter {
 public:
  // Creates the file (and its directory) if needed; appends to an existing one.
  static Result<std::unique_ptr<LedgerWriter>> Open(const std::string& path);
  ~LedgerWriter();
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  Status Append(const InvocationRecord& record);
  const std::string& path() const { return path_; }

 private:
  LedgerWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  std::mutex mu_;  // serialises write(2) calls on fd_ (O_APPEND already makes each line atomic)
};

Result<std::vector<InvocationRecord>> ReadLedger(const std::string& path);
// Parses ledger text; `file` names it in errors.
Result<std::vector<InvocationRecord>> ParseLedger(const std::string& text, const std::string& file);

}  // namespace sl::faas
