// sl-s3-fault-proxy: the FaultProxy (fault_proxy.h) as a program, for test scripts and the soak
// bench. Prints "listening: http://127.0.0.1:PORT" once it accepts, runs until SIGTERM/SIGINT,
// then prints its stats as one JSON line and exits 0. Credentials for the conditional-put
// emulation come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/flags.h"
#include "store/testing/fault_proxy.h"

int main(int argc, char** argv) {
  using namespace sl;
  int64_t upstream_port = 0, port = 0, seed = 1, max_consecutive = 2;
  std::string faults = "500:0.04,503:0.04,slow:0.04,reset:0.04,truncate:0.04", slow_ms = "50-300", stats_file;
  bool conditional_put = false;
  FlagSet flags("sl-s3-fault-proxy", "An HTTP proxy in front of an S3-compatible server that injects faults.");
  flags.Int("upstream-port", &upstream_port, "the S3 server's port on 127.0.0.1");
  flags.Int("port", &port, "port to listen on, 127.0.0.1 (0: a free one)");
  flags.Int("seed", &seed, "seed of the fault schedule");
  flags.String("faults", &faults, "KIND:PROBABILITY,... with KIND in 500, 503, slow, reset, truncate");
  flags.String("slow-ms", &slow_ms, "MIN-MAX delay of a slow response");
  flags.Int("max-consecutive", &max_consecutive, "faults in a row for one operation at most (-1: no limit)");
  flags.Bool("conditional-put", &conditional_put, "honour If-None-Match: * on PUT (s3rver ignores it)");
  flags.String("stats-file", &stats_file, "also write the final stats JSON here");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (Status s = flags.Parse(args); !s.ok()) {
    std::fprintf(stderr, "sl-s3-fault-proxy: %s\n", s.ToString().c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::printf("%s", flags.Help().c_str());
    return 0;
  }
  auto rates = store::testing::ParseFaultRates(faults);
  if (!rates.ok()) {
    std::fprintf(stderr, "sl-s3-fault-proxy: --faults: %s\n", rates.status().ToString().c_str());
    return 2;
  }
  store::testing::FaultProxyOptions o;
  o.upstream_port = static_cast<int>(upstream_port);
  o.port = static_cast<int>(port);
  o.seed = static_cast<uint64_t>(seed);
  o.rates = *rates;
  o.max_consecutive = static_cast<int>(max_consecutive);
  if (std::sscanf(slow_ms.c_str(), "%d-%d", &o.slow_min_ms, &o.slow_max_ms) != 2) {
    std::fprintf(stderr, "sl-s3-fault-proxy: --slow-ms: '%s' is not MIN-MAX\n", slow_ms.c_str());
    return 2;
  }
  o.emulate_conditional_put = conditional_put;
  if (const char* k = std::getenv("AWS_ACCESS_KEY_ID")) o.access_key_id = k;
  if (const char* k = std::getenv("AWS_SECRET_ACCESS_KEY")) o.secret_access_key = k;
  if (const char* r = std::getenv("AWS_REGION")) o.region = r;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: only sigwait sees them
  auto proxy = store::testing::FaultProxy::Start(o);
  if (!proxy.ok()) {
    std::fprintf(stderr, "sl-s3-fault-proxy: %s\n", proxy.status().ToString().c_str());
    return 1;
  }
  std::printf("listening: %s\n", (*proxy)->endpoint().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  std::string json = (*proxy)->stats().ToJson();
  proxy->reset();
  std::printf("%s\n", json.c_str());
  if (!stats_file.empty()) std::ofstream(stats_file) << json << "\n";
  return 0;
}
