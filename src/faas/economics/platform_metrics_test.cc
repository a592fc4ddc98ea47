#include "faas/economics/platform_metrics.h"

#include <gtest/gtest.h>

namespace sl::faas {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(PlatformMetricsTest, RecordsBecomeSeries) {
  MetricsRegistry reg;
  auto m = PlatformMetrics::Create(&reg);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  InvocationRecord r;
  r.function = "echo";
  r.provider = "aws-lambda";
  r.cold_start = true;
  r.init_ms = 30;
  r.duration_ms = 2;
  r.billed_ms = 32;
  r.cost_usd = 0.5;
  r.queued_ms = 1500;
  (*m)->ObserveInvocation(r);
  r.cold_start = false;
  r.outcome = Outcome::kTimeout;
  r.error_type = "Sandbox.Timedout";
  (*m)->ObserveInvocation(r);
  r.outcome = Outcome::kThrottled;
  (*m)->ObserveInvocation(r);
  (*m)->SetConcurrentExecutions("echo", 3);
  (*m)->SetWarmInstances("echo", 2);
  std::string t = reg.Render();
  EXPECT_TRUE(Has(t, "sl_faas_invocations_total{function=\"echo\",provider=\"aws-lambda\",outcome=\"success\"} 1")) << t;
  EXPECT_TRUE(Has(t, "sl_faas_invocations_total{function=\"echo\",provider=\"aws-lambda\",outcome=\"timeout\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_invocations_total{function=\"echo\",provider=\"aws-lambda\",outcome=\"throttled\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_errors_total{function=\"echo\",error_type=\"Sandbox.Timedout\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_throttles_total{function=\"echo\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_cold_starts_total{function=\"echo\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_duration_seconds_count{function=\"echo\"} 2"));
  EXPECT_TRUE(Has(t, "sl_faas_duration_seconds_bucket{function=\"echo\",le=\"0.0025\"} 2"));
  EXPECT_TRUE(Has(t, "sl_faas_init_duration_seconds_bucket{function=\"echo\",le=\"0.025\"} 0"));
  EXPECT_TRUE(Has(t, "sl_faas_init_duration_seconds_bucket{function=\"echo\",le=\"0.05\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_cost_usd_total{function=\"echo\",provider=\"aws-lambda\"} 1"));
  EXPECT_TRUE(Has(t, "sl_faas_queued_seconds_total{function=\"echo\"} 3"));
  EXPECT_TRUE(Has(t, "sl_faas_concurrent_executions{function=\"echo\"} 3"));
  EXPECT_TRUE(Has(t, "sl_faas_warm_instances{function=\"echo\"} 2"));
  // Creating it twice on one registry reuses the families.
  EXPECT_TRUE(PlatformMetrics::Create(&reg).ok());
}

}  // namespace
}  // namespace sl::faas
