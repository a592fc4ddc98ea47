#include "store/transfer_counts.h"

#include <atomic>

namespace sl::store {
namespace {

struct Counters {
  std::atomic<int64_t> bytes_sent{0}, bytes_received{0}, write_requests{0}, read_requests{0}, list_requests{0},
      other_requests{0};
};

Counters& Global() {
  static Counters* c = new Counters();  // never destroyed: counted from any thread until exit
  return *c;
}

}  // namespace

TransferCounts ProcessTransferCounts() {
  Counters& c = Global();
  return {c.bytes_sent.load(),    c.bytes_received.load(), c.write_requests.load(),
          c.read_requests.load(), c.list_requests.load(),  c.other_requests.load()};
}

void CountTransfer(std::string_view method, bool is_list, int64_t bytes_sent, int64_t bytes_received) {
  Counters& c = Global();
  c.bytes_sent += bytes_sent;
  c.bytes_received += bytes_received;
  if (is_list) {
    ++c.list_requests;
  } else if (method == "PUT" || method == "POST") {
    ++c.write_requests;
  } else if (method == "GET" || method == "HEAD") {
    ++c.read_requests;
  } else {
    ++c.other_requests;
  }
}

}  // namespace sl::store
