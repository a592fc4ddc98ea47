// store_throughput: put/get throughput and per-operation latency of one ObjectStore.
//
//   store_throughput --uri file:///tmp/x|s3://bucket/prefix [--sizes 1024,1048576,67108864]
//                    [--ops 200,50,4] [--threads 1] [--workdir DIR] [--label NAME]
//                    [--file-checksum crc32c|sha256]
//
// For each size it writes one local source file, then PutFile()s it `ops` times under distinct
// keys (put phase) and GetToFile()s each back into a local file (get phase), `threads` at a time.
// Prints one line per (op, size): ops, MB/s (bytes / wall time of the phase), p50/p95/max latency.
// It is a program, not a test: run it through bench/store_bench.sh, which also runs the peers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/file_util.h"
#include "common/flags.h"
#include "store/object_store.h"

namespace {

std::vector<uint64_t> ParseList(const std::string& s) {
  std::vector<uint64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoull(item));
  return out;
}

std::string SizeName(uint64_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= 1024 && n % 1024 == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} B", n);
}

struct PhaseResult {
  double wall_seconds = 0;
  std::vector<double> latencies;  // seconds
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  sl::FlagSet flags("store_throughput", "Measure put/get throughput and latency of an object store.");
  std::string uri, sizes_s = "1024,1048576,67108864", ops_s = "200,50,4", workdir, label, file_checksum = "crc32c";
  int64_t threads = 1;
  flags.String("uri", &uri, "store URI: file:///abs/dir, s3://bucket/prefix or az://account/container/prefix");
  flags.String("sizes", &sizes_s, "object sizes in bytes, comma-separated");
  flags.String("ops", &ops_s, "operations per size, comma-separated (same count as --sizes)");
  flags.Int("threads", &threads, "operations in flight at once");
  flags.String("workdir", &workdir, "local scratch directory (default: a temp dir)");
  flags.String("label", &label, "name printed in the backend column (default: the URI scheme)");
  flags.String("file-checksum", &file_checksum, "file backend: checksum recorded for new objects (crc32c, sha256)");
  int64_t multipart_threshold = 0, part_size = 0;
  flags.Int("multipart-threshold", &multipart_threshold, "s3/az: bytes above which puts go in parts (0: the default)");
  flags.Int("part-size", &part_size, "s3/az: part (block) size in bytes (0: the default)");
  sl::Status ps = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!ps.ok() || uri.empty()) {
    fmt::print(stderr, "{}\n{}", ps.ok() ? "--uri is required" : ps.message(), flags.Help());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  std::vector<uint64_t> sizes = ParseList(sizes_s), ops = ParseList(ops_s);
  if (sizes.size() != ops.size()) {
    fmt::print(stderr, "--sizes and --ops must have the same number of entries\n");
    return 2;
  }
  if (label.empty()) label = uri.substr(0, uri.find(':'));
  sl::TempDir tmp("sl-store-bench");
  if (workdir.empty()) workdir = tmp.path();

  sl::store::StoreOptions options;
  options.file_checksum = file_checksum;
  if (multipart_threshold > 0) options.multipart_threshold = static_cast<uint64_t>(multipart_threshold);
  if (part_size > 0) options.part_size = static_cast<uint64_t>(part_size);
  auto opened = sl::store::OpenObjectStore(uri, options);
  if (!opened.ok()) {
    fmt::print(stderr, "{}\n", opened.status().ToString());
    return 1;
  }
  sl::store::ObjectStore& store = **opened;
  std::string run = fmt::format("bench-{:x}", std::random_device{}());

  fmt::print("{:<10} {:<4} {:>8} {:>5} {:>4} {:>10} {:>10} {:>10} {:>10}\n", "backend", "op", "size", "ops", "thr",
             "MB/s", "p50 ms", "p95 ms", "max ms");
  for (size_t s = 0; s < sizes.size(); ++s) {
    uint64_t size = sizes[s];
    int n = static_cast<int>(ops[s]);
    std::string src = fmt::format("{}/src-{}", workdir, size);
    {
      std::string data(size, '\0');
      std::mt19937_64 rng(size);
      for (auto& c : data) c = static_cast<char>(rng());
      sl::Status w = sl::WriteFileAtomic(src, data);
      if (!w.ok()) {
        fmt::print(stderr, "{}\n", w.ToString());
        return 1;
      }
    }
    for (const char* op : {"put", "get"}) {
      PhaseResult r;
      r.latencies.assign(static_cast<size_t>(n), 0);
      std::atomic<int> next{0};
      std::atomic<bool> failed{false};
      auto worker = [&] {
        while (true) {
          int i = next.fetch_add(1);
          if (i >= n || failed) return;
          std::string key = fmt::format("{}/{}/{:05}", run, size, i);
          auto t0 = std::chrono::steady_clock::now();
          sl::Status st = std::string_view(op) == "put"
                              ? store.PutFile(key, src)
                              : store.GetToFile(key, fmt::format("{}/dst-{}-{}", workdir, size, i % 64));
          r.latencies[static_cast<size_t>(i)] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (!st.ok()) {
            fmt::print(stderr, "{} {}: {}\n", op, key, st.ToString());
            failed = true;
          }
        }
      };
      auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
      worker();
      for (auto& t : pool) t.join();
      r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (failed) return 1;
      double mbps = static_cast<double>(size) * n / r.wall_seconds / 1e6;
      fmt::print("{:<10} {:<4} {:>8} {:>5} {:>4} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f}\n", label, op, SizeName(size), n,
                 threads, mbps, Percentile(r.latencies, 0.5) * 1e3, Percentile(r.latencies, 0.95) * 1e3,
                 *std::max_element(r.latencies.begin(), r.latencies.end()) * 1e3);
      std::fflush(stdout);
    }
    // Clean up this size's objects so a long run does not fill the disk, and the local copies so
    // that every get writes a new file, as the cp peer does (ext4 flushes a file that replaces
    // another by rename or O_TRUNC at once, which would make the comparison depend on what was
    // left from an earlier size or pass).
    for (int i = 0; i < n; ++i) store.Delete(fmt::format("{}/{}/{:05}", run, size, i)).IgnoreError();
    for (int i = 0; i < std::min(n, 64); ++i) std::remove(fmt::format("{}/dst-{}-{}", workdir, size, i).c_str());
  }
  return 0;
}
