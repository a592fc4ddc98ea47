// A value per stage on the command line: `--provider preprocess=gcp-functions,train=aws-lambda`
// (issue 21 §3), `--memory preprocess=512,train=1769`, `serve --provider inference=oracle`. A
// value without '=' ("aws-lambda") is every stage's, so the plain flags keep working.
//
//   ParseStageValues("preprocess=gcp,train=aws", {"preprocess", "train"}, "--provider")
//     -> {preprocess: gcp, train: aws}
//   ParseStageValues("aws-lambda", ...)   -> {preprocess: aws-lambda, train: aws-lambda}
//   ParseStageValues("preprocess=gcp", ...) -> {preprocess: gcp}   (the caller fills the rest)
//
// Failure contract: INVALID_ARGUMENT naming the flag, the item and what was wrong — an unknown
// stage (with the stages there are), a stage given twice, an empty value, a plain value mixed
// with stage=value items. ResolveStageProviders adds NOT_FOUND / INVALID_ARGUMENT naming the
// flag, the stage and the provider for a name with no profile (the profile loader's message
// lists the known ones) or a VM profile.
// Thread safety: pure functions (ResolveStageProviders reads profiles/).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "faas/economics/provider_profile.h"

namespace sl::train {

// The stages of a serverless training job, as `train --provider` names them.
inline const std::vector<std::string>& TrainingStages() {
  static const std::vector<std::string> stages = {"preprocess", "train"};
  return stages;
}

// stage -> value, only for the stages the text names (all of `stages` for a plain value).
Result<std::map<std::string, std::string>> ParseStageValues(std::string_view text,
                                                            const std::vector<std::string>& stages,
                                                            std::string_view flag);

// A stage's provider: what a function spec names (`argument`: the profile name, an alias made
// canonical — "aws" -> "aws-lambda" —, or a profile file's path as given) and the profile loaded.
struct StageProvider {
  std::string argument;
  faas::ProviderProfile profile;
};

// The same for provider names: each value canonicalised (CanonicalProviderName) and loaded;
// stages the text does not name get `fallback` (canonicalised and loaded too). Returns
// stage -> provider for every stage.
Result<std::map<std::string, StageProvider>> ResolveStageProviders(std::string_view text,
                                                                  const std::vector<std::string>& stages,
                                                                  std::string_view flag, const std::string& fallback);

// "preprocess=gcp-functions,train=aws-lambda" when the stages' values differ, else the one value.
std::string StageValuesLabel(const std::map<std::string, std::string>& values,
                             const std::vector<std::string>& stages);

}  // namespace sl::train
