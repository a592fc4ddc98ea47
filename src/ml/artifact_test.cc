#include "ml/artifact.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/model.h"
#include "ml/predictor.h"
#include "ml/test_util.h"

namespace sl::ml {
namespace {

struct Saved {
  Dataset data;
  Model model;
};

Saved TrainAndSave(const std::string& dir) {
  Dataset data = testing::MakeBlobs(40, 3, {1, 6, 6}, 4);
  auto spec = MakeModelSpec("cnn", {{"conv1", 4}, {"conv2", 8}, {"hidden", 16}},
                            InputSpec::Of(data), 3).value();
  Model model = Model::Create(spec, 3).value();
  Manifest m;
  m.model = spec;
  m.class_names = data.class_names;
  m.dataset = {{"name", "blobs"}, {"split", "train"}};
  m.metrics = {{"test", {{"accuracy", 0.5}}}};
  Status s = WriteArtifact(dir, m, model.SerializeWeights().value());
  EXPECT_TRUE(s.ok()) << s.ToString();
  return {std::move(data), std::move(model)};
}

void Corrupt(const std::string& path, size_t offset) {
  std::string bytes = ReadFileToString(path).value();
  bytes[offset] ^= 0x5a;
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
}

TEST(Artifact, ManifestRoundTripsAndRecordsChecksum) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  auto a = ReadArtifact(dir);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const Manifest& m = a->manifest;
  EXPECT_EQ(m.format_version, kArtifactFormatVersion);
  EXPECT_EQ(m.format, ArtifactFormat::kNative);
  EXPECT_EQ(m.model.name, "cnn");
  EXPECT_EQ(m.model.hparams["conv2"], 8);
  EXPECT_EQ(m.model.input.shape, (std::vector<int64_t>{1, 6, 6}));
  EXPECT_EQ(m.class_names, (std::vector<std::string>{"class0", "class1", "class2"}));
  EXPECT_EQ(m.dataset["split"], "train");
  EXPECT_EQ(m.weights_file, "weights.pt");
  EXPECT_EQ(m.weights_sha256.size(), 64u);
  EXPECT_EQ(m.weights_bytes, static_cast<int64_t>(a->weights.size()));
  EXPECT_FALSE(m.created_at.empty());
  auto j = nlohmann::json::parse(ReadFileToString(dir + "/manifest.json").value());
  EXPECT_EQ(j["model"]["input"]["dtype"], "float32");
}

TEST(Artifact, SaveLoadGivesBitIdenticalPredictions) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  Saved saved = TrainAndSave(dir);
  auto expected = saved.model.PredictProba(saved.data).value();
  auto predictor = Predictor::Load(dir);
  ASSERT_TRUE(predictor.ok()) << predictor.status().ToString();
  auto preds = (*predictor)->PredictDataset(saved.data);
  ASSERT_TRUE(preds.ok()) << preds.status().ToString();
  ASSERT_EQ(static_cast<int64_t>(preds->size()), saved.data.size());
  for (size_t i = 0; i < preds->size(); ++i) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ((*preds)[i].probabilities[c], expected[i * 3 + c]) << "sample " << i;  // exact
    }
  }
}

TEST(Artifact, CorruptedWeightsAreRefusedNamingTheFile) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  Corrupt(dir + "/weights.pt", 100);
  auto a = ReadArtifact(dir);
  EXPECT_EQ(a.status().code(), Code::kDataLoss);
  EXPECT_NE(a.status().message().find(dir + "/weights.pt"), std::string::npos) << a.status().ToString();
  EXPECT_EQ(Predictor::Load(dir).status().code(), Code::kDataLoss);
}

TEST(Artifact, TruncatedOrMissingWeightsAreRefused) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  std::string bytes = ReadFileToString(dir + "/weights.pt").value();
  ASSERT_TRUE(WriteFileAtomic(dir + "/weights.pt", bytes.substr(0, bytes.size() / 2)).ok());
  auto a = ReadArtifact(dir);
  EXPECT_EQ(a.status().code(), Code::kDataLoss);
  EXPECT_NE(a.status().message().find("weights.pt"), std::string::npos);
  ASSERT_EQ(std::remove((dir + "/weights.pt").c_str()), 0);
  EXPECT_EQ(ReadArtifact(dir).status().code(), Code::kNotFound);
}

TEST(Artifact, CorruptedOrMismatchedManifestIsRefusedNamingTheFile) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  const std::string path = dir + "/manifest.json";
  const std::string good = ReadFileToString(path).value();

  ASSERT_TRUE(WriteFileAtomic(path, good.substr(0, good.size() / 2)).ok());
  auto torn = ReadArtifact(dir);
  EXPECT_EQ(torn.status().code(), Code::kDataLoss);
  EXPECT_NE(torn.status().message().find(path), std::string::npos);

  auto j = nlohmann::json::parse(good);
  j["format_version"] = 99;
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  auto version = ReadArtifact(dir);
  EXPECT_EQ(version.status().code(), Code::kInvalidArgument);
  EXPECT_NE(version.status().message().find(path), std::string::npos);
  EXPECT_NE(version.status().message().find("format_version 99"), std::string::npos);

  j = nlohmann::json::parse(good);
  j["weights"]["sha256"] = std::string(64, '0');
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  EXPECT_EQ(ReadArtifact(dir).status().code(), Code::kDataLoss);

  j = nlohmann::json::parse(good);
  j["class_names"].erase(0);
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  auto classes = ReadArtifact(dir);
  EXPECT_EQ(classes.status().code(), Code::kInvalidArgument);
  EXPECT_NE(classes.status().message().find("class_names"), std::string::npos);

  j = nlohmann::json::parse(good);
  j["weights"]["file"] = "../../etc/passwd";
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  EXPECT_EQ(ReadArtifact(dir).status().code(), Code::kInvalidArgument);
}

TEST(Artifact, ManifestDescribingAnotherArchitectureIsRefusedAtLoad) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  const std::string path = dir + "/manifest.json";
  auto j = nlohmann::json::parse(ReadFileToString(path).value());
  j["model"]["hparams"]["hidden"] = 32;  // checksum still matches the (16-wide) weights
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  ASSERT_TRUE(ReadArtifact(dir).ok());
  auto p = Predictor::Load(dir);
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_NE(p.status().message().find("weights.pt"), std::string::npos) << p.status().ToString();
}

TEST(Artifact, MissingDirectoryIsNotFound) {
  auto a = ReadArtifact("/nonexistent/model");
  EXPECT_EQ(a.status().code(), Code::kNotFound);
  EXPECT_NE(a.status().message().find("/nonexistent/model"), std::string::npos);
}

TEST(Artifact, ReplacesAnArtifactButNotOtherDirectories) {
  TempDir tmp("ml-artifact");
  const std::string dir = tmp.Join("model");
  TrainAndSave(dir);
  std::string first = ReadArtifact(dir).value().manifest.weights_sha256;
  Saved second = TrainAndSave(dir);  // same seed: same weights, but a fresh write
  EXPECT_EQ(ReadArtifact(dir).value().manifest.weights_sha256, first);
  ASSERT_TRUE(MakeDirs(tmp.Join("photos")).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("photos/cat.jpg"), "meow").ok());
  Manifest m = ReadArtifact(dir).value().manifest;
  Status s = WriteArtifact(tmp.Join("photos"), m, "weights");
  EXPECT_EQ(s.code(), Code::kAlreadyExists);
  EXPECT_TRUE(PathExists(tmp.Join("photos/cat.jpg")));
}

}  // namespace
}  // namespace sl::ml
