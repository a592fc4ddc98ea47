// ProviderProfile: one FaaS provider's (or one always-on VM's) prices, billing rules, limits and
// platform behaviour, loaded from a data file in profiles/ (YAML). The platform core looks a
// profile up by name when it registers a function; pricing.h turns a measured invocation into a
// billed one with it; the cost report reprices ledgers with it.
//
// Every number in a profile file carries its provenance — tag (DOC, DOC-3P, MEAS, DER, UNV, see
// ../shared/reference/provider-facts.md), source and date — and the loader refuses a number without
// one. `provenance` maps the field path ("pricing.per_gb_s") to it so reports can print the tag.
//
// Failure contract: loading errors name the file and the field path
//   "profiles/aws-lambda.yaml: pricing.per_gb_s: missing 'tag'"   (INVALID_ARGUMENT)
//   "no provider profile 'awz' in /…/profiles (known: aws-lambda, …)" (NOT_FOUND)
// Thread safety: a loaded ProviderProfile is an immutable value; share it freely. The loader
// functions are stateless (they read the filesystem and the environment).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::faas {

// Where a number comes from. tag is one of DOC, DOC-3P, MEAS, DER, UNV.
struct Provenance {
  std::string tag;
  std::string source;  // title / URL of the source as listed in the file's `sources:` block
  std::string date;    // date or version of the source
};

enum class ProfileKind { kFunction, kVm };

// Which memory size the GB-s are computed on.
enum class MemoryBasis {
  kConfigured,  // the function's configured memory (AWS, GCF, IBM, OCI, Code Engine)
  kObserved,    // observed peak memory rounded up to a bucket (Azure Consumption: 128 MB buckets)
  kInstance,    // the instance size while it executes (Azure Flex Consumption)
};

// How a memory size buys CPU.
enum class CpuRule {
  kProportional,  // vcpu = memory_mb / mb_per_vcpu, capped at max_vcpu (Lambda: 1,769 MB = 1 vCPU)
  kTable,         // fixed rows: smallest row with memory_mb >= requested (GCF gen1 GHz table)
  kFixed,         // one CPU size for every memory size (Azure Consumption instance)
};

struct CpuRow {
  int64_t memory_mb = 0;
  double vcpu = 0;
  double ghz = 0;  // 0 when the provider does not state GHz
};

struct ProviderProfile {
  std::string name;          // file stem, e.g. "aws-lambda"
  std::string display_name;  // "AWS Lambda (x86_64, us-east-1)"
  std::string file;          // the file it was loaded from
  ProfileKind kind = ProfileKind::kFunction;
  bool deprecated = false;
  std::string notes;

  // --- prices, USD. A price the provider does not charge is 0. ---
  double price_per_gb_s = 0;
  double price_per_vcpu_s = 0;
  double price_per_ghz_s = 0;  // GCF 1st gen charges GB-s AND GHz-s
  double price_per_request = 0;

  // Monthly free tier: recorded, applied only when a report asks for it (--free-tier).
  struct FreeTier {
    double requests = 0;
    double gb_s = 0;
    double vcpu_s = 0;
    double ghz_s = 0;
  } free_tier;

  // --- billing rules (functions) ---
  double granularity_ms = 1;     // billed time rounded up to a multiple of this
  double min_billed_ms = 0;      // per-invocation minimum (Azure 100 ms, Flex 1,000 ms)
  bool bill_init = false;        // cold-start INIT time billed (AWS since 2025-08-01)
  MemoryBasis memory_basis = MemoryBasis::kConfigured;
  int64_t memory_bucket_mb = 0;      // observed basis: round up to this (Azure 128)
  int64_t min_billed_memory_mb = 0;  // observed basis: at least this (Azure 128)
  int64_t max_billed_memory_mb = 0;  // observed basis: at most this (Azure 1,536); 0 = no cap

  // --- memory configuration ---
  int64_t min_memory_mb = 0;
  int64_t max_memory_mb = 0;
  int64_t memory_step_mb = 0;               // 0 when only allowed_memory_mb is valid
  int64_t default_memory_mb = 0;
  std::vector<int64_t> allowed_memory_mb;  // non-empty: only these sizes (GCF gen1, OCI, Flex)

  // --- CPU per memory ---
  CpuRule cpu_rule = CpuRule::kProportional;
  double mb_per_vcpu = 0;   // kProportional
  double max_vcpu = 0;      // kProportional cap; kFixed value
  std::vector<CpuRow> cpu_table;  // kTable, sorted by memory_mb

  // --- limits and platform behaviour ---
  double max_timeout_s = 0;
  double default_timeout_s = 0;
  int64_t max_sync_request_bytes = 0;
  int64_t max_sync_response_bytes = 0;
  int64_t max_async_request_bytes = 0;
  int64_t default_concurrency = 0;             // per region/account (Lambda 1,000)
  int64_t max_concurrency_per_instance = 1;    // 1 = Lambda semantics; Cloud Run up to 1,000
  double keep_alive_s = 0;                     // fixed keep-alive default (Lambda ~600 s)
  double cold_start_mean_ms = 0;               // platform cold-start overhead (emulated, not ours)
  double cold_start_sd_ms = 0;

  // --- network and object store of the provider's cloud (optional `network:` section) ---
  // What moving bytes out of this cloud and using its object store cost, for pricing transfer
  // between functions of one cloud and a store of another (transfer_pricing.h). A price the
  // file does not give is nullopt: such a transfer is reported as not priced, never as free.
  struct Network {
    std::string cloud;                          // "aws", "gcp", "azure", "ibm", "oracle"; "" = not stated
    std::optional<double> egress_per_gb;        // USD per GiB leaving the cloud (internet / other clouds)
    std::optional<double> store_write_per_1k;   // USD per 1,000 object-store writes (PUT/POST) and listings
    std::optional<double> store_read_per_1k;    // USD per 1,000 object-store reads (GET/HEAD)
  } network;

  // --- always-on VM (kind == kVm) ---
  double vm_hourly_usd = 0;
  double vm_vcpus = 0;
  double vm_memory_gib = 0;
  double vm_granularity_s = 1;   // per-second billing
  double vm_min_billed_s = 60;   // 60 s minimum

  // Field path -> where its number comes from. Every numeric field read from the file has one.
  std::map<std::string, Provenance> provenance;

  // The provenance tag of a field ("" if the field was not in the file).
  std::string TagOf(const std::string& field) const;
};

// The profiles directory: $STRAIGHTLINE_PROFILES_DIR if set, else the source tree's profiles/
// (compiled in as SL_PROFILES_DIR).
std::string ProviderProfilesDir();

// Profile names (file stems) in `dir` (default ProviderProfilesDir()), sorted.
Result<std::vector<std::string>> ListProviderProfiles(const std::string& dir = "");

// Loads a profile by name ("aws-lambda" → <dir>/aws-lambda.yaml, .yml or .json) or by path (any
// argument containing '/' or ending in .yaml/.yml/.json). Validates every field.
Result<ProviderProfile> LoadProviderProfile(std::string_view name_or_path);

// Parses profile text; `file` is used in error messages and as the default name (its stem).
Result<ProviderProfile> ParseProviderProfile(std::string_view text, const std::string& file);

// vCPUs the memory size buys under the profile's CPU rule (what the platform gives the instance
// as a cgroup CPU quota). For kTable, the smallest row with memory_mb >= requested (the last row
// if larger). For VM profiles, vm_vcpus.
double VcpuForMemory(const ProviderProfile& p, int64_t memory_mb);
// Clock speed for GHz-s billing (GCF gen1); 0 if the provider does not price GHz.
double GhzForMemory(const ProviderProfile& p, int64_t memory_mb);

// OK if memory_mb is a size the provider lets a function be configured with; else
// INVALID_ARGUMENT naming the profile and the valid sizes or range.
Status CheckMemorySize(const ProviderProfile& p, int64_t memory_mb);
// The size the provider would run a function that asks for memory_mb at: the smallest allowed
// size >= memory_mb, rounded up to the step, clamped to [min, max].
int64_t NearestAllowedMemory(const ProviderProfile& p, int64_t memory_mb);

std::string_view MemoryBasisName(MemoryBasis b);
std::string_view CpuRuleName(CpuRule r);

}  // namespace sl::faas
