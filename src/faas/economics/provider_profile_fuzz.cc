// libFuzzer target for provider profiles (provider_profile.h): YAML/JSON a user writes or
// downloads (profiles/*.yaml, --provider PATH) that then decides memory sizes, CPU quotas, limits
// and prices. Contract checked: ParseProviderProfile returns OK or INVALID_ARGUMENT and never
// throws; an OK function profile is self-consistent as the header promises: min_mb <= max_mb,
// default_mb is an allowed size, default_timeout_s <= max_timeout_s, limits >= 1, every price and
// cold-start number finite and >= 0, and for any requested memory (a few fixed values and one from
// the input) NearestAllowedMemory gives a size CheckMemorySize accepts, with a finite vCPU and GHz.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// provider_profile). Seeds: fuzz/corpus/provider_profile/ (copies of profiles/), dictionary
// fuzz/yaml.dict.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "faas/economics/provider_profile.h"

namespace {

using namespace sl::faas;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "provider_profile_fuzz: invariant violated: %s: %s\n", what,
               detail.c_str());
  std::abort();
}

bool NonNegative(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = ParseProviderProfile(text, "fuzz.yaml");
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kInvalidArgument, "error code", r.status().ToString());
    return 0;
  }
  const ProviderProfile& p = *r;
  Check(!p.name.empty(), "empty name");
  if (p.kind == ProfileKind::kVm) {
    Check(p.vm_hourly_usd > 0 && std::isfinite(p.vm_hourly_usd), "vm.hourly_usd");
    Check(p.vm_vcpus > 0 && std::isfinite(p.vm_vcpus), "vm.vcpus");
    Check(!CheckMemorySize(p, 128).ok(), "a VM profile accepted a function memory size");
    return 0;
  }
  for (double v : {p.price_per_gb_s, p.price_per_vcpu_s, p.price_per_ghz_s, p.price_per_request,
                   p.granularity_ms, p.min_billed_ms, p.keep_alive_s, p.cold_start_mean_ms,
                   p.cold_start_sd_ms, p.max_timeout_s, p.default_timeout_s}) {
    Check(NonNegative(v), "a negative or non-finite number accepted");
  }
  Check(p.min_memory_mb >= 1 && p.min_memory_mb <= p.max_memory_mb, "min_mb/max_mb");
  Check(CheckMemorySize(p, p.default_memory_mb).ok(), "default_mb is not an allowed size");
  Check(p.default_timeout_s <= p.max_timeout_s, "default_timeout_s > max_timeout_s");
  Check(p.max_sync_request_bytes >= 1 && p.max_async_request_bytes >= 1 &&
            p.max_sync_response_bytes >= 1 && p.default_concurrency >= 1 &&
            p.max_concurrency_per_instance >= 1,
        "a limit below 1");
  int64_t asked = 0;
  std::memcpy(&asked, data, std::min<size_t>(size, sizeof(asked)));
  for (int64_t m : {int64_t{0}, int64_t{1}, int64_t{128}, int64_t{1000}, p.default_memory_mb,
                    p.max_memory_mb, p.max_memory_mb - 1, p.max_memory_mb + 1, asked,
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    const int64_t n = NearestAllowedMemory(p, m);
    const auto ok = CheckMemorySize(p, n);
    Check(ok.ok(), "NearestAllowedMemory gave a size CheckMemorySize refuses",
          std::to_string(m) + " -> " + std::to_string(n) + ": " + ok.ToString());
    Check(NonNegative(VcpuForMemory(p, n)), "VcpuForMemory");
    Check(NonNegative(GhzForMemory(p, n)), "GhzForMemory");
  }
  return 0;
}
