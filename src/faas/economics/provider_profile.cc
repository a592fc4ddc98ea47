#include "faas/economics/provider_profile.h"

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "common/file_util.h"

#ifndef SL_PROFILES_DIR
#error "SL_PROFILES_DIR must be defined by the build (src/faas/economics/CMakeLists.txt)"
#endif

namespace sl::faas {
namespace {

const std::set<std::string> kTags = {"DOC", "DOC-3P", "MEAS", "DER", "UNV"};

std::string Stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

// Reads one profile document, remembering which keys it consumed so that unknown (misspelt)
// keys are reported instead of silently ignored.
class Reader {
 public:
  Reader(std::string file, ProviderProfile* p) : file_(std::move(file)), p_(p) {}

  Status Error(const YAML::Node& at, const std::string& field, const std::string& msg) const {
    if (at.IsDefined() && at.Mark().line >= 0) {
      return InvalidArgument("{}:{}: {}: {}", file_, at.Mark().line + 1, field, msg);
    }
    return InvalidArgument("{}: {}: {}", file_, field, msg);
  }

  Status LoadSources(const YAML::Node& root) {
    YAML::Node s = root["sources"];
    if (!s.IsDefined() || !s.IsMap()) {
      return Error(root, "sources", "missing: a map of source id -> {title, date}");
    }
    for (const auto& kv : s) {
      std::string id = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (!v.IsMap() || !v["title"].IsDefined() || !v["date"].IsDefined()) {
        return Error(v, "sources." + id, "needs 'title' and 'date'");
      }
      sources_[id] = {v["title"].as<std::string>(), v["date"].as<std::string>()};
    }
    return Status::Ok();
  }

  // Checks that `node` (a map) has only keys in `allowed`.
  Status OnlyKeys(const YAML::Node& node, const std::string& where,
                  const std::set<std::string>& allowed) const {
    if (!node.IsDefined()) return Status::Ok();
    if (!node.IsMap()) return Error(node, where, "must be a map");
    for (const auto& kv : node) {
      std::string k = kv.first.as<std::string>();
      if (!allowed.count(k)) {
        return Error(kv.first, where.empty() ? k : where + "." + k,
                     fmt::format("unknown field (known: {})", fmt::join(allowed, ", ")));
      }
    }
    return Status::Ok();
  }

  // A sourced value: {value|values|rows: ..., tag: T, source: id}. Records provenance.
  // nullopt when the field is absent and optional.
  Result<std::optional<YAML::Node>> Sourced(const YAML::Node& section, const std::string& sec,
                                            const std::string& key, const char* value_key,
                                            bool required) {
    std::string field = sec + "." + key;
    // (A default-constructed YAML::Node is a defined null, so absence is tested explicitly.)
    const bool present = section.IsDefined() && section.IsMap() && section[key].IsDefined();
    YAML::Node n = present ? section[key] : YAML::Node();
    if (!present) {
      if (required) return Error(section, field, "missing (required)");
      return std::optional<YAML::Node>();
    }
    if (!n.IsMap()) {
      return Error(n, field, fmt::format("must be {{{}: ..., tag: DOC|DOC-3P|MEAS|DER|UNV, "
                                         "source: <id>}}", value_key));
    }
    SL_RETURN_IF_ERROR(OnlyKeys(n, field, {value_key, "tag", "source", "note"}));
    if (!n[value_key].IsDefined()) return Error(n, field, fmt::format("missing '{}'", value_key));
    if (!n["tag"].IsDefined()) return Error(n, field, "missing 'tag'");
    std::string tag = n["tag"].as<std::string>();
    if (!kTags.count(tag)) {
      return Error(n, field, fmt::format("tag '{}' is not one of DOC, DOC-3P, MEAS, DER, UNV", tag));
    }
    if (!n["source"].IsDefined()) return Error(n, field, "missing 'source'");
    std::string src = n["source"].as<std::string>();
    auto it = sources_.find(src);
    if (it == sources_.end()) {
      return Error(n, field, fmt::format("source '{}' is not listed under 'sources'", src));
    }
    p_->provenance[field] = {tag, it->second.first, it->second.second};
    return std::optional<YAML::Node>(n[value_key]);
  }

  Status Num(const YAML::Node& section, const std::string& sec, const std::string& key,
             bool required, double* out, double min_value = 0) {
    SL_ASSIGN_OR_RETURN(std::optional<YAML::Node> ov, Sourced(section, sec, key, "value", required));
    if (!ov) return Status::Ok();
    const YAML::Node& v = *ov;
    double d = 0;
    try {
      d = v.as<double>();
    } catch (const YAML::Exception&) {
      return Error(v, sec + "." + key, fmt::format("'{}' is not a number", v.Scalar()));
    }
    if (!std::isfinite(d) || d < min_value) {
      return Error(v, sec + "." + key, fmt::format("{} is out of range (must be >= {})", d, min_value));
    }
    *out = d;
    return Status::Ok();
  }

  Status Int(const YAML::Node& section, const std::string& sec, const std::string& key,
             bool required, int64_t* out, int64_t min_value = 0) {
    double d = static_cast<double>(*out);
    SL_RETURN_IF_ERROR(Num(section, sec, key, required, &d, static_cast<double>(min_value)));
    if (d != std::floor(d)) return Error(section[key], sec + "." + key, "must be an integer");
    // 2^63 and above do not fit: casting them is undefined (found by provider_profile_fuzz).
    if (d >= 9223372036854775808.0) {
      return Error(section[key], sec + "." + key, fmt::format("{} is out of range", d));
    }
    *out = static_cast<int64_t>(d);
    return Status::Ok();
  }

  Status Bool(const YAML::Node& section, const std::string& sec, const std::string& key,
              bool required, bool* out) {
    SL_ASSIGN_OR_RETURN(std::optional<YAML::Node> ov, Sourced(section, sec, key, "value", required));
    if (!ov) return Status::Ok();
    const YAML::Node& v = *ov;
    try {
      *out = v.as<bool>();
    } catch (const YAML::Exception&) {
      return Error(v, sec + "." + key, fmt::format("'{}' is not true/false", v.Scalar()));
    }
    return Status::Ok();
  }

  Result<std::string> Str(const YAML::Node& node, const std::string& field, bool required) {
    if (!node.IsDefined()) {
      if (required) return Error(node, field, "missing (required)");
      return std::string();
    }
    if (!node.IsScalar()) return Error(node, field, "must be a string");
    return node.as<std::string>();
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  ProviderProfile* p_;
  std::map<std::string, std::pair<std::string, std::string>> sources_;  // id -> (title, date)
};

Status ParseFunctionSections(Reader& r, const YAML::Node& root, ProviderProfile& p) {
  YAML::Node pr = root["pricing"];
  SL_RETURN_IF_ERROR(r.OnlyKeys(pr, "pricing", {"per_gb_s", "per_vcpu_s", "per_ghz_s", "per_request"}));
  if (!pr.IsDefined()) return r.Error(root, "pricing", "missing (required)");
  SL_RETURN_IF_ERROR(r.Num(pr, "pricing", "per_gb_s", false, &p.price_per_gb_s));
  SL_RETURN_IF_ERROR(r.Num(pr, "pricing", "per_vcpu_s", false, &p.price_per_vcpu_s));
  SL_RETURN_IF_ERROR(r.Num(pr, "pricing", "per_ghz_s", false, &p.price_per_ghz_s));
  SL_RETURN_IF_ERROR(r.Num(pr, "pricing", "per_request", true, &p.price_per_request));
  if (p.price_per_gb_s == 0 && p.price_per_vcpu_s == 0 && p.price_per_ghz_s == 0) {
    return r.Error(pr, "pricing", "needs at least one of per_gb_s, per_vcpu_s, per_ghz_s > 0");
  }

  YAML::Node ft = root["free_tier"];
  SL_RETURN_IF_ERROR(r.OnlyKeys(ft, "free_tier", {"requests", "gb_s", "vcpu_s", "ghz_s"}));
  SL_RETURN_IF_ERROR(r.Num(ft, "free_tier", "requests", false, &p.free_tier.requests));
  SL_RETURN_IF_ERROR(r.Num(ft, "free_tier", "gb_s", false, &p.free_tier.gb_s));
  SL_RETURN_IF_ERROR(r.Num(ft, "free_tier", "vcpu_s", false, &p.free_tier.vcpu_s));
  SL_RETURN_IF_ERROR(r.Num(ft, "free_tier", "ghz_s", false, &p.free_tier.ghz_s));

  YAML::Node b = root["billing"];
  if (!b.IsDefined()) return r.Error(root, "billing", "missing (required)");
  SL_RETURN_IF_ERROR(r.OnlyKeys(b, "billing", {"granularity_ms", "min_billed_ms", "bill_init",
                                               "memory_basis", "memory_bucket_mb",
                                               "min_billed_memory_mb", "max_billed_memory_mb"}));
  SL_RETURN_IF_ERROR(r.Num(b, "billing", "granularity_ms", true, &p.granularity_ms, 0.001));
  SL_RETURN_IF_ERROR(r.Num(b, "billing", "min_billed_ms", true, &p.min_billed_ms));
  SL_RETURN_IF_ERROR(r.Bool(b, "billing", "bill_init", true, &p.bill_init));
  SL_ASSIGN_OR_RETURN(std::string basis, r.Str(b["memory_basis"], "billing.memory_basis", true));
  if (basis == "configured") {
    p.memory_basis = MemoryBasis::kConfigured;
  } else if (basis == "observed") {
    p.memory_basis = MemoryBasis::kObserved;
    SL_RETURN_IF_ERROR(r.Int(b, "billing", "memory_bucket_mb", true, &p.memory_bucket_mb, 1));
    SL_RETURN_IF_ERROR(r.Int(b, "billing", "min_billed_memory_mb", true, &p.min_billed_memory_mb, 1));
    SL_RETURN_IF_ERROR(r.Int(b, "billing", "max_billed_memory_mb", false, &p.max_billed_memory_mb));
  } else if (basis == "instance") {
    p.memory_basis = MemoryBasis::kInstance;
  } else {
    return r.Error(b["memory_basis"], "billing.memory_basis",
                   fmt::format("'{}' is not configured|observed|instance", basis));
  }

  YAML::Node m = root["memory"];
  if (!m.IsDefined()) return r.Error(root, "memory", "missing (required)");
  SL_RETURN_IF_ERROR(r.OnlyKeys(m, "memory", {"min_mb", "max_mb", "step_mb", "default_mb", "allowed_mb"}));
  SL_RETURN_IF_ERROR(r.Int(m, "memory", "min_mb", true, &p.min_memory_mb, 1));
  SL_RETURN_IF_ERROR(r.Int(m, "memory", "max_mb", true, &p.max_memory_mb, 1));
  SL_RETURN_IF_ERROR(r.Int(m, "memory", "default_mb", true, &p.default_memory_mb, 1));
  SL_RETURN_IF_ERROR(r.Int(m, "memory", "step_mb", false, &p.memory_step_mb, 1));
  SL_ASSIGN_OR_RETURN(std::optional<YAML::Node> oallowed,
                      r.Sourced(m, "memory", "allowed_mb", "values", false));
  if (oallowed) {
    const YAML::Node& allowed = *oallowed;
    if (!allowed.IsSequence() || allowed.size() == 0) {
      return r.Error(allowed, "memory.allowed_mb", "values must be a non-empty list of MB");
    }
    for (const auto& v : allowed) p.allowed_memory_mb.push_back(v.as<int64_t>());
    if (!std::is_sorted(p.allowed_memory_mb.begin(), p.allowed_memory_mb.end())) {
      return r.Error(allowed, "memory.allowed_mb", "values must be sorted ascending");
    }
  }
  if (p.memory_step_mb == 0 && p.allowed_memory_mb.empty()) {
    return r.Error(m, "memory", "needs step_mb or allowed_mb");
  }
  if (p.min_memory_mb > p.max_memory_mb) {
    return r.Error(m, "memory.min_mb", fmt::format("{} > max_mb {}", p.min_memory_mb, p.max_memory_mb));
  }

  YAML::Node c = root["cpu"];
  if (!c.IsDefined()) return r.Error(root, "cpu", "missing (required)");
  SL_RETURN_IF_ERROR(r.OnlyKeys(c, "cpu", {"rule", "mb_per_vcpu", "max_vcpu", "vcpu", "table"}));
  SL_ASSIGN_OR_RETURN(std::string rule, r.Str(c["rule"], "cpu.rule", true));
  if (rule == "proportional") {
    p.cpu_rule = CpuRule::kProportional;
    SL_RETURN_IF_ERROR(r.Num(c, "cpu", "mb_per_vcpu", true, &p.mb_per_vcpu, 1));
    SL_RETURN_IF_ERROR(r.Num(c, "cpu", "max_vcpu", true, &p.max_vcpu, 0.001));
  } else if (rule == "fixed") {
    p.cpu_rule = CpuRule::kFixed;
    SL_RETURN_IF_ERROR(r.Num(c, "cpu", "vcpu", true, &p.max_vcpu, 0.001));
  } else if (rule == "table") {
    p.cpu_rule = CpuRule::kTable;
    SL_ASSIGN_OR_RETURN(std::optional<YAML::Node> orows, r.Sourced(c, "cpu", "table", "rows", true));
    const YAML::Node& rows = *orows;
    if (!rows.IsSequence() || rows.size() == 0) {
      return r.Error(rows, "cpu.table", "rows must be a non-empty list of [memory_mb, vcpu, ghz]");
    }
    for (const auto& row : rows) {
      if (!row.IsSequence() || row.size() != 3) {
        return r.Error(row, "cpu.table", "each row must be [memory_mb, vcpu, ghz]");
      }
      CpuRow cr{row[0].as<int64_t>(), row[1].as<double>(), row[2].as<double>()};
      if (cr.vcpu <= 0) return r.Error(row, "cpu.table", "vcpu must be > 0");
      if (!p.cpu_table.empty() && cr.memory_mb <= p.cpu_table.back().memory_mb) {
        return r.Error(row, "cpu.table", "rows must be sorted by memory_mb");
      }
      p.cpu_table.push_back(cr);
    }
  } else {
    return r.Error(c["rule"], "cpu.rule", fmt::format("'{}' is not proportional|fixed|table", rule));
  }
  if (p.price_per_ghz_s > 0) {
    for (int64_t mb : p.allowed_memory_mb) {
      if (GhzForMemory(p, mb) <= 0) {
        return r.Error(c, "cpu.table", fmt::format("per_ghz_s is priced but {} MB has no GHz", mb));
      }
    }
  }

  YAML::Node l = root["limits"];
  if (!l.IsDefined()) return r.Error(root, "limits", "missing (required)");
  SL_RETURN_IF_ERROR(r.OnlyKeys(l, "limits", {"max_timeout_s", "default_timeout_s",
                                              "max_sync_request_bytes", "max_sync_response_bytes",
                                              "max_async_request_bytes", "default_concurrency",
                                              "max_concurrency_per_instance"}));
  SL_RETURN_IF_ERROR(r.Num(l, "limits", "max_timeout_s", true, &p.max_timeout_s, 0.001));
  SL_RETURN_IF_ERROR(r.Num(l, "limits", "default_timeout_s", true, &p.default_timeout_s, 0.001));
  SL_RETURN_IF_ERROR(r.Int(l, "limits", "max_sync_request_bytes", true, &p.max_sync_request_bytes, 1));
  SL_RETURN_IF_ERROR(r.Int(l, "limits", "max_sync_response_bytes", true, &p.max_sync_response_bytes, 1));
  SL_RETURN_IF_ERROR(r.Int(l, "limits", "max_async_request_bytes", false, &p.max_async_request_bytes, 1));
  SL_RETURN_IF_ERROR(r.Int(l, "limits", "default_concurrency", true, &p.default_concurrency, 1));
  SL_RETURN_IF_ERROR(r.Int(l, "limits", "max_concurrency_per_instance", false,
                           &p.max_concurrency_per_instance, 1));
  if (p.max_async_request_bytes == 0) p.max_async_request_bytes = p.max_sync_request_bytes;
  if (p.default_timeout_s > p.max_timeout_s) {
    return r.Error(l, "limits.default_timeout_s",
                   fmt::format("{} > max_timeout_s {}", p.default_timeout_s, p.max_timeout_s));
  }

  YAML::Node k = root["keep_alive"];
  SL_RETURN_IF_ERROR(r.OnlyKeys(k, "keep_alive", {"idle_s"}));
  SL_RETURN_IF_ERROR(r.Num(k, "keep_alive", "idle_s", true, &p.keep_alive_s));
  YAML::Node cs = root["cold_start"];
  SL_RETURN_IF_ERROR(r.OnlyKeys(cs, "cold_start", {"mean_ms", "sd_ms"}));
  SL_RETURN_IF_ERROR(r.Num(cs, "cold_start", "mean_ms", true, &p.cold_start_mean_ms));
  SL_RETURN_IF_ERROR(r.Num(cs, "cold_start", "sd_ms", true, &p.cold_start_sd_ms));

  Status mem = CheckMemorySize(p, p.default_memory_mb);
  if (!mem.ok()) return r.Error(m, "memory.default_mb", mem.message());
  return Status::Ok();
}

// network: {cloud: aws, egress_per_gb: {...}, store_write_per_1k: {...}, store_read_per_1k: {...}}
Status ParseNetworkSection(Reader& r, const YAML::Node& root, ProviderProfile& p) {
  YAML::Node n = root["network"];
  if (!n.IsDefined()) return Status::Ok();
  SL_RETURN_IF_ERROR(r.OnlyKeys(n, "network", {"cloud", "egress_per_gb", "store_write_per_1k", "store_read_per_1k"}));
  SL_ASSIGN_OR_RETURN(p.network.cloud, r.Str(n["cloud"], "network.cloud", true));
  static const std::set<std::string> kClouds = {"aws", "gcp", "azure", "ibm", "oracle"};
  if (!kClouds.count(p.network.cloud)) {
    return r.Error(n["cloud"], "network.cloud", fmt::format("'{}' is not one of {}", p.network.cloud, fmt::join(kClouds, ", ")));
  }
  for (auto [key, out] : {std::pair{"egress_per_gb", &p.network.egress_per_gb},
                          std::pair{"store_write_per_1k", &p.network.store_write_per_1k},
                          std::pair{"store_read_per_1k", &p.network.store_read_per_1k}}) {
    if (!n[key].IsDefined()) continue;
    double v = 0;
    SL_RETURN_IF_ERROR(r.Num(n, "network", key, true, &v));
    *out = v;
  }
  return Status::Ok();
}

Status ParseVmSection(Reader& r, const YAML::Node& root, ProviderProfile& p) {
  YAML::Node v = root["vm"];
  if (!v.IsDefined()) return r.Error(root, "vm", "missing (required for kind: vm)");
  SL_RETURN_IF_ERROR(r.OnlyKeys(v, "vm", {"hourly_usd", "vcpus", "memory_gib", "granularity_s",
                                          "min_billed_s"}));
  SL_RETURN_IF_ERROR(r.Num(v, "vm", "hourly_usd", true, &p.vm_hourly_usd, 0));
  SL_RETURN_IF_ERROR(r.Num(v, "vm", "vcpus", true, &p.vm_vcpus, 0.001));
  SL_RETURN_IF_ERROR(r.Num(v, "vm", "memory_gib", true, &p.vm_memory_gib, 0.001));
  SL_RETURN_IF_ERROR(r.Num(v, "vm", "granularity_s", true, &p.vm_granularity_s, 0.001));
  SL_RETURN_IF_ERROR(r.Num(v, "vm", "min_billed_s", true, &p.vm_min_billed_s, 0));
  if (p.vm_hourly_usd <= 0) return r.Error(v, "vm.hourly_usd", "must be > 0");
  return Status::Ok();
}

}  // namespace

std::string ProviderProfile::TagOf(const std::string& field) const {
  auto it = provenance.find(field);
  return it == provenance.end() ? "" : it->second.tag;
}

std::string ProviderProfilesDir() {
  const char* env = std::getenv("STRAIGHTLINE_PROFILES_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SL_PROFILES_DIR;
}

Result<std::vector<std::string>> ListProviderProfiles(const std::string& dir_in) {
  std::string dir = dir_in.empty() ? ProviderProfilesDir() : dir_in;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoError(errno, dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    for (const char* ext : {".yaml", ".yml", ".json"}) {
      std::string x = ext;
      if (n.size() > x.size() && n.compare(n.size() - x.size(), x.size(), x) == 0) {
        names.push_back(n.substr(0, n.size() - x.size()));
      }
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<ProviderProfile> ParseProviderProfile(std::string_view text, const std::string& file) {
  ProviderProfile p;
  p.file = file;
  Reader r(file, &p);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return InvalidArgument("{}:{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.mark.column + 1,
                           e.msg);
  }
  if (!root.IsMap()) return InvalidArgument("{}: a profile must be a YAML/JSON map", file);
  try {
    SL_RETURN_IF_ERROR(r.OnlyKeys(root, "", {"name", "display_name", "kind", "deprecated", "notes",
                                             "sources", "pricing", "free_tier", "billing", "memory",
                                             "cpu", "limits", "keep_alive", "cold_start", "vm", "network"}));
    SL_RETURN_IF_ERROR(r.LoadSources(root));
    SL_ASSIGN_OR_RETURN(p.name, r.Str(root["name"], "name", false));
    if (p.name.empty()) p.name = Stem(file);
    if (p.name != Stem(file) && file.find('/') != std::string::npos) {
      return r.Error(root["name"], "name",
                     fmt::format("'{}' does not match the file name '{}'", p.name, Stem(file)));
    }
    SL_ASSIGN_OR_RETURN(p.display_name, r.Str(root["display_name"], "display_name", true));
    SL_ASSIGN_OR_RETURN(p.notes, r.Str(root["notes"], "notes", false));
    if (root["deprecated"].IsDefined()) p.deprecated = root["deprecated"].as<bool>();
    SL_ASSIGN_OR_RETURN(std::string kind, r.Str(root["kind"], "kind", true));
    if (kind == "function") {
      p.kind = ProfileKind::kFunction;
      if (root["vm"].IsDefined()) return r.Error(root["vm"], "vm", "only for kind: vm");
      SL_RETURN_IF_ERROR(ParseFunctionSections(r, root, p));
    } else if (kind == "vm") {
      p.kind = ProfileKind::kVm;
      for (const char* s : {"pricing", "billing", "memory", "cpu", "limits", "keep_alive", "cold_start"}) {
        if (root[s].IsDefined()) return r.Error(root[s], s, "not allowed for kind: vm");
      }
      SL_RETURN_IF_ERROR(ParseVmSection(r, root, p));
    } else {
      return r.Error(root["kind"], "kind", fmt::format("'{}' is not function|vm", kind));
    }
    SL_RETURN_IF_ERROR(ParseNetworkSection(r, root, p));
  } catch (const YAML::Exception& e) {
    // Type mismatches deep inside a value (e.g. a table cell that is not a number).
    return InvalidArgument("{}:{}: {}", file, e.mark.line + 1, e.msg);
  }
  return p;
}

Result<ProviderProfile> LoadProviderProfile(std::string_view name_or_path) {
  std::string arg(name_or_path);
  auto ends_with = [&](std::string_view x) {
    return arg.size() >= x.size() && arg.compare(arg.size() - x.size(), x.size(), x) == 0;
  };
  std::string path;
  if (arg.find('/') != std::string::npos || ends_with(".yaml") || ends_with(".yml") ||
      ends_with(".json")) {
    path = arg;
  } else {
    if (arg.empty()) return InvalidArgument("empty provider profile name");
    std::string dir = ProviderProfilesDir();
    for (const char* ext : {".yaml", ".yml", ".json"}) {
      if (PathExists(dir + "/" + arg + ext)) {
        path = dir + "/" + arg + ext;
        break;
      }
    }
    if (path.empty()) {
      auto known = ListProviderProfiles(dir);
      return NotFound("no provider profile '{}' in {} (known: {})", arg, dir,
                      known.ok() ? fmt::format("{}", fmt::join(*known, ", ")) : "none");
    }
  }
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseProviderProfile(text, path);
}

double VcpuForMemory(const ProviderProfile& p, int64_t memory_mb) {
  if (p.kind == ProfileKind::kVm) return p.vm_vcpus;
  switch (p.cpu_rule) {
    case CpuRule::kProportional:
      return std::min(p.max_vcpu, static_cast<double>(memory_mb) / p.mb_per_vcpu);
    case CpuRule::kFixed:
      return p.max_vcpu;
    case CpuRule::kTable:
      for (const CpuRow& r : p.cpu_table) {
        if (r.memory_mb >= memory_mb) return r.vcpu;
      }
      return p.cpu_table.empty() ? 0 : p.cpu_table.back().vcpu;
  }
  return 0;
}

double GhzForMemory(const ProviderProfile& p, int64_t memory_mb) {
  if (p.cpu_rule != CpuRule::kTable) return 0;
  for (const CpuRow& r : p.cpu_table) {
    if (r.memory_mb >= memory_mb) return r.ghz;
  }
  return p.cpu_table.empty() ? 0 : p.cpu_table.back().ghz;
}

Status CheckMemorySize(const ProviderProfile& p, int64_t memory_mb) {
  if (p.kind == ProfileKind::kVm) {
    return FailedPrecondition("profile {}: a VM profile has no function memory sizes", p.name);
  }
  if (!p.allowed_memory_mb.empty()) {
    if (std::find(p.allowed_memory_mb.begin(), p.allowed_memory_mb.end(), memory_mb) ==
        p.allowed_memory_mb.end()) {
      return InvalidArgument("profile {}: memory {} MB is not one of the allowed sizes [{}] MB",
                             p.name, memory_mb, fmt::join(p.allowed_memory_mb, ", "));
    }
    return Status::Ok();
  }
  if (memory_mb < p.min_memory_mb || memory_mb > p.max_memory_mb ||
      (p.memory_step_mb > 0 && (memory_mb - p.min_memory_mb) % p.memory_step_mb != 0)) {
    return InvalidArgument("profile {}: memory {} MB is outside {}–{} MB in steps of {} MB", p.name,
                           memory_mb, p.min_memory_mb, p.max_memory_mb, p.memory_step_mb);
  }
  return Status::Ok();
}

int64_t NearestAllowedMemory(const ProviderProfile& p, int64_t memory_mb) {
  if (!p.allowed_memory_mb.empty()) {
    for (int64_t m : p.allowed_memory_mb) {
      if (m >= memory_mb) return m;
    }
    return p.allowed_memory_mb.back();
  }
  int64_t m = std::clamp(memory_mb, p.min_memory_mb, p.max_memory_mb);
  if (p.memory_step_mb > 0) {
    // Up to the next step when it is <= max_mb, else down to the last step below it: a max_mb
    // off the min_mb + k * step_mb grid is not itself an allowed size (found by
    // provider_profile_fuzz), and m + step must not overflow.
    const int64_t over = (m - p.min_memory_mb) % p.memory_step_mb;
    if (over != 0) {
      const int64_t up = p.memory_step_mb - over;
      m = up <= p.max_memory_mb - m ? m + up : m - over;
    }
  }
  return m;
}

std::string_view MemoryBasisName(MemoryBasis b) {
  switch (b) {
    case MemoryBasis::kConfigured: return "configured";
    case MemoryBasis::kObserved: return "observed";
    case MemoryBasis::kInstance: return "instance";
  }
  return "?";
}

std::string_view CpuRuleName(CpuRule r) {
  switch (r) {
    case CpuRule::kProportional: return "proportional";
    case CpuRule::kTable: return "table";
    case CpuRule::kFixed: return "fixed";
  }
  return "?";
}

}  // namespace sl::faas
