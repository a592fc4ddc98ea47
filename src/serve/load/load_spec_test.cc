#include "serve/load/load_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/file_util.h"

namespace sl::serve::load {
namespace {

TEST(LoadSpecTest, AcceptsOnlyLoopbackTargets) {
  for (const char* ok : {"http://127.0.0.1:8080", "http://127.0.0.1", "http://127.1.2.3:9/x",
                         "http://localhost:80/", "http://[::1]:8080"}) {
    EXPECT_TRUE(CheckLoopbackTarget(ok).ok()) << ok;
  }
  for (const char* bad : {"http://10.0.0.1:8080", "http://example.com", "http://127.0.0.1.evil.com/",
                          "https://127.0.0.1:8443", "http://user@8.8.8.8", "http://[2001:db8::1]:80",
                          "http://127.0.0.256", "ftp://127.0.0.1", "http://0.0.0.0:8080"}) {
    Status s = CheckLoopbackTarget(bad);
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << bad << ": " << s.ToString();
  }
}

TEST(LoadSpecTest, ParsesPhasesAndMix) {
  auto phases = ParsePhases("60:10:100,30:5");
  ASSERT_TRUE(phases.ok()) << phases.status().ToString();
  ASSERT_EQ(phases->size(), 2u);
  EXPECT_DOUBLE_EQ((*phases)[0].duration_s, 60);
  EXPECT_DOUBLE_EQ((*phases)[0].arrival_rate, 10);
  EXPECT_DOUBLE_EQ((*phases)[0].EndRate(), 100);
  EXPECT_DOUBLE_EQ((*phases)[1].EndRate(), 5);
  EXPECT_EQ(ParsePhases("60").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParsePhases("x:1").status().code(), Code::kInvalidArgument);
  auto mix = ParsePayloadMix("json:8,batch:1:64");
  ASSERT_TRUE(mix.ok());
  EXPECT_EQ((*mix)[1].kind, "batch");
  EXPECT_EQ((*mix)[1].batch, 64);
}

TEST(LoadSpecTest, RampArrivalTimesIntegrateTheRate) {
  Phase constant{"c", 10, 5, -1};
  EXPECT_DOUBLE_EQ(constant.ArrivalTime(1), 0.2);
  EXPECT_DOUBLE_EQ(constant.ArrivalTime(50), 10.0);
  EXPECT_LT(constant.ArrivalTime(51), 0);
  Phase ramp{"r", 10, 10, 20};  // 150 arrivals in all
  EXPECT_NEAR(ramp.ArrivalTime(150), 10.0, 1e-9);
  EXPECT_LT(ramp.ArrivalTime(151), 0);
  // Λ(5) = 10·5 + 10·25/20 = 62.5: the 62nd arrival comes just before t = 5.
  EXPECT_LT(ramp.ArrivalTime(62), 5.0);
  EXPECT_GT(ramp.ArrivalTime(63), 5.0);
}

TEST(LoadSpecTest, ReadsYamlAndValidates) {
  auto dir = std::filesystem::temp_directory_path() / ("sl_load_spec_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "load.yaml").string();
  ASSERT_TRUE(WriteFileAtomic(path, R"(target: http://127.0.0.1:9999
model: fmnist-cnn
phases:
  - {name: warm, duration: 5, arrivalRate: 2}
  - {name: ramp, duration: 60, arrivalRate: 10, rampTo: 100}
session: {requests: 3}
payloads: [{kind: json, weight: 8}, {kind: batch, weight: 1, batch: 32}]
maxTotal: 1000
concurrency: 16
)").ok());
  auto spec = LoadSpecFromYaml(path);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->model, "fmnist-cnn");
  ASSERT_EQ(spec->phases.size(), 2u);
  EXPECT_EQ(spec->phases[1].name, "ramp");
  EXPECT_DOUBLE_EQ(spec->phases[1].EndRate(), 100);
  EXPECT_EQ(spec->session_requests, 3);
  EXPECT_EQ(spec->payloads[1].batch, 32);
  EXPECT_EQ(spec->max_total, 1000);
  EXPECT_TRUE(ValidateSpec(*spec).ok());
  spec->target = "http://192.168.1.1:80";
  EXPECT_EQ(ValidateSpec(*spec).code(), Code::kPermissionDenied);
  spec->target = "http://127.0.0.1:1";
  spec->payloads[0].kind = "gif";
  EXPECT_EQ(ValidateSpec(*spec).code(), Code::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomic(path, "phases: [{duration: x}]\n").ok());
  EXPECT_EQ(LoadSpecFromYaml(path).status().code(), Code::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl::serve::load
