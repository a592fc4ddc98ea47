#include "ml/torchscript_import.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/predictor.h"

namespace sl::ml {
namespace {

// Debian's python3-torch imports under /usr/bin/python3 only.
constexpr const char* kPython = "/usr/bin/python3";

bool HavePythonTorch() {
  std::string cmd = std::string(kPython) + " -c 'import torch' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Saves a scripted conv net (1x28x28 → 10 logits) and a 4-layer MLP returning probabilities,
// plus inputs and PyTorch's own softmax outputs, into `dir`.
constexpr const char* kScript = R"PY(
import json, sys, torch
torch.manual_seed(0)
torch.set_num_threads(1)
out = sys.argv[1]

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 14 * 14, 10)
    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(h.flatten(1))

class Probs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 3)
    def forward(self, x):
        return torch.softmax(self.fc(x), 1)

net = Net().eval()
torch.jit.save(torch.jit.script(net), out + "/net.pt")
x = torch.rand(5, 1, 28, 28)
with torch.no_grad():
    p = torch.softmax(net(x), 1)
json.dump({"inputs": x.flatten().tolist(), "probs": p.tolist()}, open(out + "/net.json", "w"))

probs = Probs().eval()
torch.jit.save(torch.jit.trace(probs, torch.rand(1, 6)), out + "/probs.pt")
y = torch.rand(2, 6)
with torch.no_grad():
    q = probs(y)
json.dump({"inputs": y.flatten().tolist(), "probs": q.tolist()}, open(out + "/probs.json", "w"))
)PY";

class TorchScriptImport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HavePythonTorch()) GTEST_SKIP() << kPython << " cannot import torch (install python3-torch)";
    ASSERT_TRUE(WriteFileAtomic(tmp_.Join("make.py"), kScript).ok());
    std::string cmd = std::string(kPython) + " " + tmp_.Join("make.py") + " " + tmp_.path();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  TempDir tmp_{"ml-torchscript"};
};

std::vector<std::string> Classes(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("c" + std::to_string(i));
  return v;
}

void ExpectMatchesPyTorch(const Predictor& p, const std::string& json_path, int64_t classes) {
  auto j = nlohmann::json::parse(ReadFileToString(json_path).value());
  std::vector<float> inputs = j["inputs"].get<std::vector<float>>();
  const int64_t n = static_cast<int64_t>(j["probs"].size());
  auto preds = p.PredictDense(inputs, n);
  ASSERT_TRUE(preds.ok()) << preds.status().ToString();
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> expected = j["probs"][i].get<std::vector<float>>();
    ASSERT_EQ(static_cast<int64_t>(expected.size()), classes);
    int64_t best = std::max_element(expected.begin(), expected.end()) - expected.begin();
    EXPECT_EQ((*preds)[i].label, best) << "sample " << i;
    for (int64_t c = 0; c < classes; ++c) {
      EXPECT_NEAR((*preds)[i].probabilities[c], expected[c], 1e-6) << "sample " << i << " class " << c;
    }
  }
}

TEST_F(TorchScriptImport, ImportedScriptedModelPredictsLikePyTorch) {
  TorchScriptImportOptions o;
  o.module_path = tmp_.Join("net.pt");
  o.input_shape = {1, 28, 28};
  o.class_names = Classes(10);
  Status s = ImportTorchScript(o, tmp_.Join("artifact"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto p = Predictor::Load(tmp_.Join("artifact"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->manifest().format, ArtifactFormat::kTorchScript);
  EXPECT_EQ((*p)->manifest().weights_file, "model.pt");
  ExpectMatchesPyTorch(**p, tmp_.Join("net.json"), 10);
}

TEST_F(TorchScriptImport, TracedModelReturningProbabilities) {
  TorchScriptImportOptions o;
  o.module_path = tmp_.Join("probs.pt");
  o.input_shape = {6};
  o.class_names = Classes(3);
  o.output = "probabilities";
  ASSERT_TRUE(ImportTorchScript(o, tmp_.Join("artifact")).ok());
  auto p = Predictor::Load(tmp_.Join("artifact"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectMatchesPyTorch(**p, tmp_.Join("probs.json"), 3);
}

TEST_F(TorchScriptImport, RefusesWrongShapeClassesAndNonTorchScriptFiles) {
  TorchScriptImportOptions o;
  o.module_path = tmp_.Join("net.pt");
  o.input_shape = {1, 28, 28};
  o.class_names = Classes(7);  // the module has 10 outputs
  Status classes = ImportTorchScript(o, tmp_.Join("a"));
  EXPECT_EQ(classes.code(), Code::kInvalidArgument);
  EXPECT_NE(classes.message().find("net.pt"), std::string::npos);
  o.class_names = Classes(10);
  o.input_shape = {3, 32, 32};
  EXPECT_EQ(ImportTorchScript(o, tmp_.Join("a")).code(), Code::kInvalidArgument);
  o.module_path = tmp_.Join("net.json");
  o.input_shape = {1, 28, 28};
  Status not_ts = ImportTorchScript(o, tmp_.Join("a"));
  EXPECT_EQ(not_ts.code(), Code::kDataLoss);
  EXPECT_NE(not_ts.message().find("net.json"), std::string::npos);
  EXPECT_FALSE(PathExists(tmp_.Join("a")));
}

}  // namespace
}  // namespace sl::ml
