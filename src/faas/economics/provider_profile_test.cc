#include "faas/economics/provider_profile.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

#include "common/file_util.h"

namespace sl::faas {
namespace {

const std::vector<std::string> kShipped = {
    "aws-lambda",     "aws-lambda-arm64", "gcp-functions", "gcp-cloud-run-functions",
    "azure-functions", "azure-flex",      "ibm",           "ibm-code-engine",
    "oracle",          "ec2-c5.large",    "ec2-m5.large",  "gce-e2-standard-2"};

TEST(ProviderProfileTest, EveryShippedProfileLoadsAndEveryNumberHasProvenance) {
  auto names = ListProviderProfiles();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  for (const std::string& n : kShipped) {
    EXPECT_NE(std::find(names->begin(), names->end(), n), names->end()) << n << " not shipped";
  }
  for (const std::string& n : *names) {
    auto p = LoadProviderProfile(n);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->name, n);
    EXPECT_FALSE(p->display_name.empty());
    for (const auto& [field, prov] : p->provenance) {
      EXPECT_FALSE(prov.source.empty()) << n << " " << field;
      EXPECT_FALSE(prov.date.empty()) << n << " " << field;
    }
    if (p->kind == ProfileKind::kFunction) {
      for (const char* f : {"pricing.per_request", "billing.granularity_ms", "billing.min_billed_ms",
                            "billing.bill_init", "memory.default_mb", "limits.max_timeout_s",
                            "keep_alive.idle_s", "cold_start.mean_ms"}) {
        EXPECT_FALSE(p->TagOf(f).empty()) << n << " lacks provenance for " << f;
      }
      EXPECT_TRUE(CheckMemorySize(*p, p->default_memory_mb).ok()) << n;
      EXPECT_GT(VcpuForMemory(*p, p->default_memory_mb), 0) << n;
    } else {
      EXPECT_GT(p->vm_hourly_usd, 0) << n;
      EXPECT_EQ(p->TagOf("vm.hourly_usd"), "DOC-3P") << n;
    }
  }
}

TEST(ProviderProfileTest, KeyFactsMatchProviderFacts) {
  auto aws = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(aws.ok());
  EXPECT_DOUBLE_EQ(aws->price_per_gb_s, 0.0000166667);
  EXPECT_DOUBLE_EQ(aws->price_per_request, 0.0000002);
  EXPECT_TRUE(aws->bill_init);
  EXPECT_DOUBLE_EQ(VcpuForMemory(*aws, 1769), 1.0);  // 1,769 MB = 1 vCPU
  EXPECT_NEAR(VcpuForMemory(*aws, 10240), 5.788, 0.001);
  EXPECT_EQ(aws->max_sync_request_bytes, 6 * 1024 * 1024);

  auto gcf = LoadProviderProfile("gcp-functions");
  ASSERT_TRUE(gcf.ok());
  EXPECT_DOUBLE_EQ(gcf->price_per_ghz_s, 0.00001);  // GB-s AND GHz-s
  EXPECT_DOUBLE_EQ(GhzForMemory(*gcf, 1024), 1.4);
  EXPECT_DOUBLE_EQ(VcpuForMemory(*gcf, 1024), 0.583);
  EXPECT_EQ(gcf->TagOf("pricing.per_ghz_s"), "DOC-3P");

  auto az = LoadProviderProfile("azure-functions");
  ASSERT_TRUE(az.ok());
  EXPECT_EQ(az->memory_basis, MemoryBasis::kObserved);
  EXPECT_EQ(az->TagOf("billing.min_billed_ms"), "UNV");

  auto ibm = LoadProviderProfile("ibm");
  ASSERT_TRUE(ibm.ok());
  EXPECT_TRUE(ibm->deprecated);
}

TEST(ProviderProfileTest, MemoryRules) {
  auto gcf = *LoadProviderProfile("gcp-functions");
  Status s = CheckMemorySize(gcf, 300);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("128, 256, 512"), std::string::npos) << s.message();
  EXPECT_EQ(NearestAllowedMemory(gcf, 300), 512);
  EXPECT_EQ(NearestAllowedMemory(gcf, 100000), 8192);
  auto aws = *LoadProviderProfile("aws-lambda");
  EXPECT_TRUE(CheckMemorySize(aws, 1769).ok());
  EXPECT_EQ(CheckMemorySize(aws, 64).code(), Code::kInvalidArgument);
  EXPECT_EQ(NearestAllowedMemory(aws, 64), 128);
}

TEST(ProviderProfileTest, UnknownNameIsNotFoundAndListsKnownProfiles) {
  auto p = LoadProviderProfile("awz-lambda");
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_NE(p.status().message().find("awz-lambda"), std::string::npos);
  EXPECT_NE(p.status().message().find("aws-lambda"), std::string::npos);
}

// A minimal valid profile; tests below break one field at a time.
std::string MinimalProfile() {
  return R"(display_name: Test
kind: function
sources:
  s: {title: "test source", date: "2026"}
pricing:
  per_gb_s: {value: 0.00001, tag: DOC, source: s}
  per_request: {value: 0.0000002, tag: DOC, source: s}
billing:
  granularity_ms: {value: 1, tag: DOC, source: s}
  min_billed_ms: {value: 0, tag: DOC, source: s}
  bill_init: {value: false, tag: UNV, source: s}
  memory_basis: configured
memory:
  min_mb: {value: 128, tag: DOC, source: s}
  max_mb: {value: 1024, tag: DOC, source: s}
  step_mb: {value: 1, tag: DOC, source: s}
  default_mb: {value: 128, tag: DOC, source: s}
cpu:
  rule: proportional
  mb_per_vcpu: {value: 1024, tag: UNV, source: s}
  max_vcpu: {value: 1, tag: UNV, source: s}
limits:
  max_timeout_s: {value: 60, tag: DOC, source: s}
  default_timeout_s: {value: 3, tag: DOC, source: s}
  max_sync_request_bytes: {value: 1000, tag: DOC, source: s}
  max_sync_response_bytes: {value: 1000, tag: DOC, source: s}
  default_concurrency: {value: 10, tag: DOC, source: s}
keep_alive:
  idle_s: {value: 600, tag: MEAS, source: s}
cold_start:
  mean_ms: {value: 200, tag: MEAS, source: s}
  sd_ms: {value: 100, tag: MEAS, source: s}
)";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(ProviderProfileTest, MinimalProfileParses) {
  auto p = ParseProviderProfile(MinimalProfile(), "test.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "test");
  EXPECT_EQ(p->TagOf("keep_alive.idle_s"), "MEAS");
  EXPECT_EQ(p->provenance.at("pricing.per_gb_s").source, "test source");
}

TEST(ProviderProfileTest, ValidationErrorsNameFileLineAndField) {
  struct Case {
    std::string from, to, expect;
  };
  const std::vector<Case> cases = {
      {"per_gb_s: {value: 0.00001, tag: DOC, source: s}", "per_gb_s: {value: 0.00001, source: s}",
       "test.yaml:6: pricing.per_gb_s: missing 'tag'"},
      {"per_gb_s: {value: 0.00001, tag: DOC,", "per_gb_s: {value: 0.00001, tag: GUESS,",
       "pricing.per_gb_s: tag 'GUESS' is not one of"},
      {"per_request: {value: 0.0000002, tag: DOC, source: s}",
       "per_request: {value: 0.0000002, tag: DOC, source: nowhere}",
       "pricing.per_request: source 'nowhere' is not listed"},
      {"per_request: {value: 0.0000002,", "per_request: {value: cheap,",
       "pricing.per_request: 'cheap' is not a number"},
      {"  granularity_ms: {value: 1, tag: DOC, source: s}\n", "",
       "billing.granularity_ms: missing (required)"},
      {"memory_basis: configured", "memory_basis: vibes", "billing.memory_basis: 'vibes'"},
      {"default_mb: {value: 128,", "default_mb: {value: 2000,", "memory.default_mb"},
      {"rule: proportional", "rule: magic", "cpu.rule: 'magic'"},
      {"  idle_s:", "  idle_secs:", "keep_alive.idle_secs: unknown field"},
      {"default_timeout_s: {value: 3,", "default_timeout_s: {value: 300,",
       "limits.default_timeout_s: 300 > max_timeout_s 60"},
      {"kind: function", "kind: lambda", "kind: 'lambda' is not function|vm"},
  };
  for (const Case& c : cases) {
    auto p = ParseProviderProfile(Replace(MinimalProfile(), c.from, c.to), "test.yaml");
    ASSERT_FALSE(p.ok()) << "accepted: " << c.to;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.expect), std::string::npos)
        << "want '" << c.expect << "' in: " << p.status().message();
    EXPECT_EQ(p.status().message().rfind("test.yaml", 0), 0u) << p.status().message();
  }
}

// Found by provider_profile_fuzz (issue 16): an integer field of 2^63 or more was cast to int64
// (undefined behaviour), and with a max_mb off the step grid NearestAllowedMemory answered max_mb,
// a size CheckMemorySize refuses.
TEST(ProviderProfileTest, HugeIntegersAreRefusedAndNearestMemoryIsAllowed) {
  for (const char* huge : {"1e300", "9223372036854775807", "9223372036854775808"}) {
    auto p = ParseProviderProfile(Replace(MinimalProfile(), "max_mb: {value: 1024,",
                                          std::string("max_mb: {value: ") + huge + ","),
                                  "test.yaml");
    ASSERT_FALSE(p.ok()) << huge;
    EXPECT_NE(p.status().message().find("memory.max_mb"), std::string::npos)
        << p.status().message();
  }
  auto p = ParseProviderProfile(
      Replace(Replace(MinimalProfile(), "step_mb: {value: 1,", "step_mb: {value: 64,"),
              "max_mb: {value: 1024,", "max_mb: {value: 1000,"),
      "test.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (int64_t asked : {int64_t{0}, int64_t{129}, int64_t{960}, int64_t{961}, int64_t{1000},
                        int64_t{5000}, INT64_MAX}) {
    const int64_t m = NearestAllowedMemory(*p, asked);
    EXPECT_TRUE(CheckMemorySize(*p, m).ok()) << asked << " -> " << m;
  }
  EXPECT_EQ(NearestAllowedMemory(*p, 129), 192);
  EXPECT_EQ(NearestAllowedMemory(*p, 1000), 960);
  p->memory_step_mb = INT64_MAX - 10;  // m + step must not overflow
  EXPECT_EQ(NearestAllowedMemory(*p, 500), 128);
}

TEST(ProviderProfileTest, SyntaxErrorNamesLine) {
  auto p = ParseProviderProfile("display_name: x\nkind: [function\n", "bad.yaml");
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_NE(p.status().message().find("bad.yaml:"), std::string::npos);
  EXPECT_NE(p.status().message().find("invalid YAML"), std::string::npos);
}

TEST(ProviderProfileTest, EnvironmentOverridesProfilesDir) {
  TempDir dir("profiles");
  ASSERT_TRUE(WriteFileAtomic(dir.Join("mine.yaml"), MinimalProfile()).ok());
  setenv("STRAIGHTLINE_PROFILES_DIR", dir.path().c_str(), 1);
  auto p = LoadProviderProfile("mine");
  auto aws = LoadProviderProfile("aws-lambda");
  unsetenv("STRAIGHTLINE_PROFILES_DIR");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "mine");
  EXPECT_EQ(aws.status().code(), Code::kNotFound);
  // By path, too; a name that contradicts the file name is rejected.
  auto by_path = LoadProviderProfile(dir.Join("mine.yaml"));
  EXPECT_TRUE(by_path.ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("other.yaml"), "name: mine\n" + MinimalProfile()).ok());
  auto wrong = LoadProviderProfile(dir.Join("other.yaml"));
  EXPECT_NE(wrong.status().message().find("name: 'mine' does not match"), std::string::npos)
      << wrong.status().message();
}

}  // namespace
}  // namespace sl::faas
