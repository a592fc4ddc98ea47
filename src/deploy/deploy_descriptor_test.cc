// Every target's descriptors, validated with a real JSON Schema validator (python3-jsonschema,
// through testing/validate_descriptor.py) against the platform's published schema in
// ../shared/schemas (STRAIGHTLINE_SCHEMAS_DIR overrides; absent → the tests SKIP, saying so).
// The rejection tests show the validator refuses broken descriptors, so a pass is not vacuous.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "deploy/targets.h"
#include "deploy/yaml_writer.h"
#include "faas/economics/provider_profile.h"

namespace sl::deploy {
namespace {

using nlohmann::json;

std::string SchemasDir() {
  if (const char* d = std::getenv("STRAIGHTLINE_SCHEMAS_DIR"); d != nullptr && *d != '\0') return d;
  return SL_SCHEMAS_DIR;
}

struct Check {
  int rc = -1;
  std::string output;
};

class DescriptorSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schemas_ = SchemasDir();
    if (!IsDirectory(schemas_)) {
      GTEST_SKIP() << "SKIPPED: the platforms' published schemas are not at " << schemas_
                   << " (set STRAIGHTLINE_SCHEMAS_DIR); nothing was validated";
    }
    ASSERT_EQ(std::system("/usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null"), 0)
        << "python3-jsonschema / python3-yaml missing: run scripts/install-deps.sh";
    model_ = dir_.path() + "/fmnist-cnn";
    ASSERT_TRUE(MakeDirs(model_).ok());
    ASSERT_TRUE(WriteFileAtomic(model_ + "/manifest.json", "{}").ok());
    serving_.model_dir = model_;
    serving_.image = "registry.example.com/ml/fmnist-cnn:v1";
    functions_.image = "registry.example.com/ml/fmnist-fn@sha256:" + std::string(64, 'a');
  }

  // Runs the validator on `file`; `same_as`, when given, is the JSON the file must parse to.
  Check Validate(const std::string& schema, const std::string& file, bool strict,
                 const json* same_as = nullptr) {
    std::string cmd = std::string("/usr/bin/python3 ") + SL_DEPLOY_VALIDATOR + " --schemas '" +
                      schemas_ + "' --schema " + schema + (strict ? " --strict" : "");
    if (same_as != nullptr) {
      const std::string want = file + ".expected.json";
      EXPECT_TRUE(WriteFileAtomic(want, same_as->dump()).ok());
      cmd += " --same-as '" + want + "'";
    }
    cmd += " '" + file + "' 2>&1";
    Check c;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) c.output.append(buf, n);
    const int status = pclose(p);
    c.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return c;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }

  std::string WriteFunctionsFile() {
    return Write("functions.yaml",
                 "provider: {name: aws-lambda, memorySize: 1769, timeout: 60}\n"
                 "functions:\n"
                 "  train-preprocess: {handler: train-preprocess, timeout: 300}\n"
                 "  train-shard:\n"
                 "    handler: train-shard\n"
                 "    memorySize: 3008\n"
                 "    reservedConcurrency: 8\n"
                 "    environment: {STRAIGHTLINE_STORE: 's3://bucket/run1'}\n"
                 "  img_classify:\n"
                 "    handler: predict\n"
                 "    memorySize: 1024\n"
                 "    timeout: 10\n"
                 "    provisionedConcurrency: 1\n"
                 "    environment: {STRAIGHTLINE_MODEL_DIR: /opt/straightline/model}\n");
  }

  TempDir dir_{"sl-deploy-test"};
  std::string schemas_, model_;
  ServingFlags serving_;
  FunctionsFlags functions_;
};

TEST_F(DescriptorSchemaTest, KubernetesDeploymentServiceHpaValidate) {
  serving_.min_containers = 2;
  serving_.max_containers = 5;
  serving_.container_cpus = 1.5;
  serving_.container_memory_mb = 1536;
  auto spec = ResolveServing(serving_);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const std::vector<json> objects = KubernetesObjects(*spec);
  ASSERT_EQ(objects.size(), 3u);
  const json& dep = objects[0];
  EXPECT_EQ(dep["spec"]["replicas"], 2);
  const json& c = dep["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], serving_.image);
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "1500m");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "1536Mi");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/v2/health/ready");
  EXPECT_EQ(c["securityContext"]["runAsUser"], 65532);
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(objects[2]["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(objects[2]["spec"]["minReplicas"], 2);
  EXPECT_EQ(objects[2]["spec"]["maxReplicas"], 5);

  auto files = BuildTarget("kubernetes", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_TRUE(WriteOutputs(dir_.path() + "/k8s", *files).ok());
  const json all = objects;
  Check v = Validate("kubernetes", dir_.path() + "/k8s/kubernetes.yaml", true, &all);
  EXPECT_EQ(v.rc, 0) << v.output;
  EXPECT_NE(v.output.find("valid Deployment fmnist-cnn against #/definitions/io.k8s.api.apps.v1.Deployment"),
            std::string::npos) << v.output;
  EXPECT_NE(v.output.find("valid Service fmnist-cnn"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("valid HorizontalPodAutoscaler fmnist-cnn"), std::string::npos) << v.output;
}

TEST_F(DescriptorSchemaTest, KubernetesValidatorRejectsBrokenDeployments) {
  auto spec = ResolveServing(serving_);
  ASSERT_TRUE(spec.ok());
  json dep = KubernetesObjects(*spec)[0];
  json bad = dep;
  bad["spec"]["replicas"] = "2";  // a string where the schema says integer
  Check v = Validate("kubernetes", Write("bad-replicas.yaml", ToYaml(bad)), true);
  EXPECT_EQ(v.rc, 1) << v.output;
  EXPECT_NE(v.output.find("at /spec/replicas"), std::string::npos) << v.output;
  // A misspelt field: only strict validation (the API server's) refuses it.
  json typo = dep;
  typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {{"httpGet", {{"path", "/"}}}};
  const std::string typo_file = Write("typo.yaml", ToYaml(typo));
  EXPECT_EQ(Validate("kubernetes", typo_file, false).rc, 0);
  v = Validate("kubernetes", typo_file, true);
  EXPECT_EQ(v.rc, 1) << v.output;
  EXPECT_NE(v.output.find("readinesProbe"), std::string::npos) << v.output;
}

TEST_F(DescriptorSchemaTest, KnativeServiceValidatesAndSizesFromTheProfile) {
  serving_.max_scale = 7;
  serving_.container_concurrency = 4;
  serving_.memory_mb = 2048;
  auto files = BuildTarget("knative", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_TRUE(WriteOutputs(dir_.path() + "/kn", *files).ok());
  auto spec = ResolveServing(serving_);
  ASSERT_TRUE(spec.ok());
  const json svc = KnativeService(*spec);
  const json& tmpl = svc["spec"]["template"];
  EXPECT_EQ(tmpl["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"], "0");
  EXPECT_EQ(tmpl["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"], "7");
  EXPECT_EQ(tmpl["spec"]["containerConcurrency"], 4);
  auto profile = faas::LoadProviderProfile("gcp-cloud-run-functions");
  ASSERT_TRUE(profile.ok());
  const json& c = tmpl["spec"]["containers"][0];
  EXPECT_EQ(c["resources"]["limits"]["cpu"], CpuQuantity(faas::VcpuForMemory(*profile, 2048)));
  EXPECT_EQ(c["resources"]["limits"]["memory"], "2Gi");
  for (const auto& e : c["env"]) EXPECT_NE(e["name"], "PORT") << "Knative reserves PORT";
  Check v = Validate("knative", dir_.path() + "/kn/knative-service.yaml", true, &svc);
  EXPECT_EQ(v.rc, 0) << v.output;
  EXPECT_NE(v.output.find("valid Service fmnist-cnn against knative-serving-service-crd.yaml"),
            std::string::npos) << v.output;

  json bad = svc;
  bad["spec"]["template"]["spec"]["containerConcurrency"] = "four";
  v = Validate("knative", Write("bad-kn.yaml", ToYaml(bad)), true);
  EXPECT_EQ(v.rc, 1) << v.output;
  EXPECT_NE(v.output.find("containerConcurrency"), std::string::npos) << v.output;
}

TEST_F(DescriptorSchemaTest, KServeInferenceServiceIsACustomV2Predictor) {
  auto files = BuildTarget("kserve", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_TRUE(WriteOutputs(dir_.path() + "/ks", *files).ok());
  auto spec = ResolveServing(serving_);
  ASSERT_TRUE(spec.ok());
  const json isvc = KServeInferenceService(*spec);
  const json& pred = isvc["spec"]["predictor"];
  EXPECT_EQ(pred["minReplicas"], 0);
  EXPECT_EQ(pred["containers"][0]["name"], "kserve-container");
  bool v2 = false;
  for (const auto& e : pred["containers"][0]["env"]) v2 = v2 || (e["name"] == "PROTOCOL" && e["value"] == "v2");
  EXPECT_TRUE(v2);
  Check v = Validate("kserve", dir_.path() + "/ks/inferenceservice.yaml", true, &isvc);
  EXPECT_EQ(v.rc, 0) << v.output;
  EXPECT_NE(v.output.find("valid InferenceService fmnist-cnn"), std::string::npos) << v.output;

  json bad = isvc;
  bad["spec"]["predictor"]["minReplicas"] = "0";
  v = Validate("kserve", Write("bad-ks.yaml", ToYaml(bad)), true);
  EXPECT_EQ(v.rc, 1) << v.output;
  EXPECT_NE(v.output.find("minReplicas"), std::string::npos) << v.output;
}

TEST_F(DescriptorSchemaTest, SamTemplateFromAFunctionsFile) {
  functions_.functions_file = WriteFunctionsFile();
  auto f = ResolveFunctions(functions_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto t = SamTemplate(*f);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const json& res = (*t)["Resources"];
  const json& shard = res["TrainShardFunction"]["Properties"];
  EXPECT_EQ(shard["PackageType"], "Image");
  EXPECT_EQ(shard["ImageUri"], functions_.image);
  EXPECT_EQ(shard["ImageConfig"]["Command"][0], "train-shard");
  EXPECT_EQ(shard["MemorySize"], 3008);
  EXPECT_EQ(shard["Timeout"], 60);
  EXPECT_EQ(shard["ReservedConcurrentExecutions"], 8);
  EXPECT_EQ(res["TrainPreprocessFunction"]["Properties"]["Timeout"], 300);
  const json& predict = res["ImgClassifyFunction"]["Properties"];
  EXPECT_EQ(predict["Events"]["Infer"]["Type"], "HttpApi");
  EXPECT_EQ(predict["Events"]["Infer"]["Properties"]["Path"], "/img_classify");
  EXPECT_EQ(predict["Events"]["Infer"]["Properties"]["PayloadFormatVersion"], "2.0");  // what the worker unwraps
  EXPECT_EQ(predict["ProvisionedConcurrencyConfig"]["ProvisionedConcurrentExecutions"], 1);
  EXPECT_EQ(res["InferenceApi"]["Type"], "AWS::Serverless::HttpApi");

  auto files = BuildTarget("aws-sam", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_TRUE(WriteOutputs(dir_.path() + "/sam", *files).ok());
  Check v = Validate("aws-sam", dir_.path() + "/sam/template.yaml", false, &*t);
  EXPECT_EQ(v.rc, 0) << v.output;

  json bad = *t;
  bad["Resources"]["TrainShardFunction"]["Properties"]["MemorySizeMB"] = 3008;
  v = Validate("aws-sam", Write("bad-sam.json", bad.dump()), false);
  EXPECT_EQ(v.rc, 1) << v.output;
}

// A custom runtime ships in a function image built with `package function --functions FILE`:
// its CMD is the function's name (the image's functions.json maps it to the bootstrap). Azure runs
// only built-in handlers (custom handlers speak Azure's protocol, not the Runtime API).
TEST_F(DescriptorSchemaTest, CustomRuntimeFunctionsRunFromThePackagedFunctionsImage) {
  ASSERT_TRUE(MakeDirs(dir_.path() + "/hello").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/hello/bootstrap", "#!/bin/sh\n").ok());
  ASSERT_EQ(::chmod((dir_.path() + "/hello/bootstrap").c_str(), 0755), 0);
  functions_.functions_file = Write("custom.yaml",
                                    "provider: {name: aws-lambda}\n"
                                    "functions:\n"
                                    "  hello: {runtime: provided.al2023, codeUri: ./hello, handler: greet.handler}\n"
                                    "  train-shard: {handler: train-shard}\n");
  auto f = ResolveFunctions(functions_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto t = SamTemplate(*f);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)["Resources"]["HelloFunction"]["Properties"]["ImageConfig"]["Command"], json({"hello"}));
  EXPECT_EQ((*t)["Resources"]["TrainShardFunction"]["Properties"]["ImageConfig"]["Command"], json({"train-shard"}));
  auto az = BuildTarget("azure-functions", serving_, functions_);
  ASSERT_FALSE(az.ok());
  EXPECT_NE(az.status().message().find("function 'hello'"), std::string::npos) << az.status().ToString();
  EXPECT_NE(az.status().message().find("custom runtime"), std::string::npos) << az.status().ToString();
}

TEST_F(DescriptorSchemaTest, SamTemplateForAModelsPredictFunction) {
  functions_.model_dir = model_;
  functions_.http_path = "/v2/models/fmnist-cnn/infer";
  auto files = BuildTarget("aws-sam", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_TRUE(WriteOutputs(dir_.path() + "/sam2", *files).ok());
  Check v = Validate("aws-sam", dir_.path() + "/sam2/template.yaml", false);
  EXPECT_EQ(v.rc, 0) << v.output;
  auto text = ReadFileToString(dir_.path() + "/sam2/template.yaml");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"/v2/models/fmnist-cnn/infer\""), std::string::npos) << *text;
  EXPECT_NE(text->find("STRAIGHTLINE_MODEL_NAME: \"fmnist-cnn\""), std::string::npos) << *text;
}

TEST_F(DescriptorSchemaTest, AzureCustomHandlerProject) {
  functions_.functions_file = WriteFunctionsFile();
  functions_.image.clear();  // not needed: the worker runs from the project
  auto files = BuildTarget("azure-functions", serving_, functions_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const std::string out = dir_.path() + "/az";
  ASSERT_TRUE(WriteOutputs(out, *files).ok());
  Check v = Validate("azure-host", out + "/host.json", false);
  EXPECT_EQ(v.rc, 0) << v.output;
  auto host = json::parse(ReadFileToString(out + "/host.json").value());
  EXPECT_EQ(host["customHandler"]["description"]["defaultExecutablePath"], "straightline-worker");
  EXPECT_EQ(host["customHandler"]["description"]["arguments"], json({"--mode", "azure"}));
  EXPECT_EQ(host["customHandler"]["enableForwardingHttpRequest"], true);
  EXPECT_EQ(host["functionTimeout"], "00:05:00");
  for (const char* fn : {"train-preprocess", "train-shard", "img_classify"}) {
    v = Validate("azure-function", out + "/" + fn + "/function.json", false);
    EXPECT_EQ(v.rc, 0) << fn << ": " << v.output;
  }
  auto settings = json::parse(ReadFileToString(out + "/local.settings.json").value());
  EXPECT_EQ(settings["Values"]["FUNCTIONS_WORKER_RUNTIME"], "custom");
  EXPECT_EQ(settings["Values"]["_HANDLER"], "predict");  // img_classify is not a handler's name

  json bad = host;
  bad["functionTimeout"] = "10 minutes";
  v = Validate("azure-host", Write("bad-host.json", bad.dump()), false);
  EXPECT_EQ(v.rc, 1) << v.output;
  auto fj = json::parse(ReadFileToString(out + "/train-shard/function.json").value());
  fj["bindings"][0]["authLevel"] = "everyone";
  v = Validate("azure-function", Write("bad-function.json", fj.dump()), false);
  EXPECT_EQ(v.rc, 1) << v.output;
}

TEST_F(DescriptorSchemaTest, YamlWriterKeepsTypesThroughARealYamlParser) {
  const json tricky = {
      {"strings", {"0", "true", "no", "", "a: b", "# not a comment", "line1\nline2", "~", "1.0",
                   "08", "- x", "{}", "é"}},
      {"on", true},
      {"yes", "NO"},
      {"numbers", {0, -3, 2.5, 1e20}},
      {"null", nullptr},
      {"empty", {{"list", json::array()}, {"map", json::object()}}},
      {"nested", json::array({json::array({1, 2}), {{"k", json::array({{{"a", 1}, {"b", "2"}}})}}})},
      {"key with space", 1},
      {"autoscaling.knative.dev/min-scale", "0"},
  };
  Check v = Validate("azure-host", Write("tricky.yaml", ToYaml(tricky)), false, &tricky);
  // Parsed equal is what matters here; the host schema itself rejects this document.
  EXPECT_EQ(v.output.find("parses to"), std::string::npos) << v.output;
}

TEST_F(DescriptorSchemaTest, ErrorsNameTheFlagOrTheEntry) {
  auto r = BuildTarget("nomad", serving_, functions_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--target: unknown 'nomad'"), std::string::npos);
  ServingFlags s = serving_;
  s.image = "Not An Image";
  r = BuildTarget("knative", s, functions_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--image:"), std::string::npos) << r.status().message();
  s = serving_;
  s.model_dir.clear();
  r = BuildTarget("kserve", s, functions_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--model:"), std::string::npos);
  s = serving_;
  s.max_containers = 0;
  r = BuildTarget("kubernetes", s, functions_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--max-containers:"), std::string::npos);
  s = serving_;
  s.env = {"PORT=9"};
  r = BuildTarget("knative", s, functions_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--env:"), std::string::npos);
  // A functions-file entry that does not fit Lambda: named by file and function.
  FunctionsFlags f = functions_;
  f.functions_file = Write("big.yaml",
                           "provider: {name: gcp-cloud-run-functions}\n"
                           "functions:\n  huge: {handler: train-shard, memorySize: 16384}\n");
  r = BuildTarget("aws-sam", serving_, f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("big.yaml: function 'huge': memorySize"), std::string::npos)
      << r.status().message();
  f.functions_file = Write("long.yaml",
                           "provider: {name: aws-lambda}\n"
                           "functions:\n  slow: {handler: train-shard, timeout: 900}\n");
  r = BuildTarget("azure-functions", serving_, f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("function 'slow': timeout"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace sl::deploy
