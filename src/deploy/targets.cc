#include "deploy/targets.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/file_util.h"
#include "deploy/yaml_writer.h"

namespace sl::deploy {

const std::vector<std::string>& TargetNames() {
  static const std::vector<std::string> names = {"aws-sam", "knative", "kserve", "kubernetes",
                                                 "azure-functions"};
  return names;
}

bool IsServingTarget(const std::string& target) {
  return target == "knative" || target == "kserve" || target == "kubernetes";
}

Result<std::vector<OutputFile>> BuildTarget(const std::string& target, const ServingFlags& serving,
                                            const FunctionsFlags& functions) {
  const auto& names = TargetNames();
  if (std::find(names.begin(), names.end(), target) == names.end()) {
    return InvalidArgument("--target: unknown '{}' (one of: {})", target, fmt::join(names, ", "));
  }
  std::vector<OutputFile> out;
  if (IsServingTarget(target)) {
    SL_ASSIGN_OR_RETURN(ServingSpec s, ResolveServing(serving));
    if (target == "knative") {
      out.push_back({"knative-service.yaml", ToYaml(KnativeService(s))});
    } else if (target == "kserve") {
      out.push_back({"inferenceservice.yaml", ToYaml(KServeInferenceService(s))});
    } else {
      out.push_back({"kubernetes.yaml", ToYamlStream(KubernetesObjects(s))});
    }
    return out;
  }
  FunctionsFlags ff = functions;
  ff.image_required = target == "aws-sam";
  SL_ASSIGN_OR_RETURN(FunctionsSpec f, ResolveFunctions(ff));
  if (target == "aws-sam") {
    SL_ASSIGN_OR_RETURN(nlohmann::json t, SamTemplate(f));
    out.push_back({"template.yaml", ToYaml(t)});
    return out;
  }
  SL_ASSIGN_OR_RETURN(AzureProject p, AzureFunctionsProject(f));
  out.push_back({"host.json", p.host.dump(2) + "\n"});
  for (const auto& [name, fj] : p.functions) out.push_back({name + "/function.json", fj.dump(2) + "\n"});
  out.push_back({"local.settings.json", p.local_settings.dump(2) + "\n"});
  return out;
}

Status WriteOutputs(const std::string& out_dir, const std::vector<OutputFile>& files) {
  for (const auto& f : files) {
    const std::string path = out_dir + "/" + f.path;
    SL_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(path).parent_path().string()));
    SL_RETURN_IF_ERROR(WriteFileAtomic(path, f.contents));
  }
  return Status::Ok();
}

}  // namespace sl::deploy
