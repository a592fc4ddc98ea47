// The descriptor builders, one .cc per target, and the files each target writes.
//
//   target           needs               writes (under --out DIR)
//   aws-sam          functions + image   template.yaml (SAM: Function PackageType Image, HttpApi)
//   knative          model + image       knative-service.yaml (serving.knative.dev/v1 Service)
//   kserve           model + image       inferenceservice.yaml (serving.kserve.io/v1beta1)
//   kubernetes       model + image       kubernetes.yaml (Deployment, Service, HPA autoscaling/v2)
//   azure-functions  functions + image   host.json, <function>/function.json, local.settings.json
//
// The builders return JSON values (what the tests validate against the platforms' published
// schemas); BuildTarget renders them (YAML where the platform's tools expect YAML) and
// WriteOutputs writes every file atomically (common/file_util.h WriteFileAtomic).
// Thread safety: pure functions, except WriteOutputs (the file system).
// Failure contract: INVALID_ARGUMENT naming the flag or the functions-file entry that does not
// fit the platform (e.g. "fns.yaml: function 'train': memorySize: 20000 MB is above AWS Lambda's
// 10240"), the file-system error naming the path.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "deploy/deploy_spec.h"

namespace sl::deploy {

nlohmann::json KnativeService(const ServingSpec& s);
nlohmann::json KServeInferenceService(const ServingSpec& s);
// Deployment, Service, HorizontalPodAutoscaler, in that order.
std::vector<nlohmann::json> KubernetesObjects(const ServingSpec& s);
Result<nlohmann::json> SamTemplate(const FunctionsSpec& f);

struct AzureProject {
  nlohmann::json host;                                             // host.json
  std::vector<std::pair<std::string, nlohmann::json>> functions;   // name → function.json
  nlohmann::json local_settings;                                   // local.settings.json
};
Result<AzureProject> AzureFunctionsProject(const FunctionsSpec& f);

struct OutputFile {
  std::string path;  // relative to --out
  std::string contents;
};

const std::vector<std::string>& TargetNames();
bool IsServingTarget(const std::string& target);  // knative, kserve, kubernetes
// INVALID_ARGUMENT "--target: ..." for an unknown name.
Result<std::vector<OutputFile>> BuildTarget(const std::string& target, const ServingFlags& serving,
                                            const FunctionsFlags& functions);
// Creates out_dir (and subdirectories) and writes each file atomically.
Status WriteOutputs(const std::string& out_dir, const std::vector<OutputFile>& files);

}  // namespace sl::deploy
