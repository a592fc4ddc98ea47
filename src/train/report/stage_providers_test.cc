#include "train/report/stage_providers.h"

#include <gtest/gtest.h>

namespace sl::train {
namespace {

const std::vector<std::string>& Stages() { return TrainingStages(); }

TEST(StageValues, APlainValueIsEveryStages) {
  auto v = ParseStageValues("aws-lambda", Stages(), "--provider");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::map<std::string, std::string>{{"preprocess", "aws-lambda"}, {"train", "aws-lambda"}}));
}

TEST(StageValues, StageListNamesEachStage) {
  auto v = ParseStageValues(" preprocess=gcp-functions , train=oracle", Stages(), "--provider");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, (std::map<std::string, std::string>{{"preprocess", "gcp-functions"}, {"train", "oracle"}}));
  auto one = ParseStageValues("preprocess=512", Stages(), "--memory");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (std::map<std::string, std::string>{{"preprocess", "512"}}));
}

TEST(StageValues, BadItemsNameTheFlagTheItemAndTheStages) {
  auto unknown = ParseStageValues("prep=gcp,train=aws", Stages(), "--provider");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("--provider: unknown stage 'prep' in 'prep=gcp' (stages: preprocess, train)"),
            std::string::npos)
      << unknown.status().message();

  auto twice = ParseStageValues("train=a,train=b", Stages(), "--provider");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("stage 'train' is given twice"), std::string::npos);

  auto empty = ParseStageValues("train=", Stages(), "--memory");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("--memory: stage 'train' has an empty value"), std::string::npos);

  auto mixed = ParseStageValues("aws-lambda,train=oracle", Stages(), "--provider");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("'aws-lambda' has no stage"), std::string::npos) << mixed.status().message();

  auto list = ParseStageValues("aws-lambda,oracle", Stages(), "--provider");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("several values without stages"), std::string::npos);

  EXPECT_FALSE(ParseStageValues("", Stages(), "--provider").ok());
  EXPECT_EQ(ParseStageValues(",", Stages(), "--provider").status().code(), Code::kInvalidArgument);
}

TEST(StageProviders, AliasesAndTheFallbackResolveToProfiles) {
  auto p = ResolveStageProviders("preprocess=gcp", Stages(), "--provider", "aws");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->at("preprocess").profile.name, "gcp-functions");
  EXPECT_EQ(p->at("preprocess").argument, "gcp-functions");
  EXPECT_EQ(p->at("train").profile.name, "aws-lambda");
  auto plain = ResolveStageProviders("oracle", Stages(), "--provider", "aws-lambda");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->at("preprocess").profile.name, "oracle");
  EXPECT_EQ(plain->at("train").argument, "oracle");
  // A profile file given by path stays a path for the function spec (the platform loads it).
  const std::string file = faas::ProviderProfilesDir() + "/oracle.yaml";
  auto path = ResolveStageProviders("train=" + file, Stages(), "--provider", "aws-lambda");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(path->at("train").argument, file);
  EXPECT_EQ(path->at("train").profile.name, "oracle");
}

TEST(StageProviders, AnUnknownProviderIsNamedWithItsStageAndTheKnownOnes) {
  auto p = ResolveStageProviders("preprocess=gcp-functions,train=awz", Stages(), "--provider", "aws-lambda");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  const std::string& m = p.status().message();
  EXPECT_NE(m.find("--provider: stage 'train': provider 'awz'"), std::string::npos) << m;
  EXPECT_NE(m.find("aws-lambda"), std::string::npos) << m;  // the loader lists the known profiles

  auto vm = ResolveStageProviders("train=ec2-c5.large", Stages(), "--provider", "aws-lambda");
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.status().code(), Code::kInvalidArgument);
  EXPECT_NE(vm.status().message().find("'ec2-c5.large' is a VM profile"), std::string::npos);
}

TEST(StageValues, LabelIsTheOneValueOrEachStages) {
  EXPECT_EQ(StageValuesLabel({{"preprocess", "a"}, {"train", "a"}}, Stages()), "a");
  EXPECT_EQ(StageValuesLabel({{"preprocess", "a"}, {"train", "b"}}, Stages()), "preprocess=a,train=b");
}

}  // namespace
}  // namespace sl::train
