// A small YAML emitter for descriptors built as nlohmann::json: block mappings and sequences,
// every string double-quoted in JSON syntax (a subset of YAML 1.2, so "0", "true", "1.0", "no"
// and "08" stay strings where a plain scalar would change type), numbers, booleans and null as
// YAML plain scalars. Keys are written plain when they are [A-Za-z0-9_./-]+ and not a YAML
// special word, else quoted. Why not yaml-cpp: the builders already produce JSON values (which
// the tests validate against JSON Schemas), and this keeps the YAML a pure function of them.
// Thread safety: pure functions. Failure contract: never fails.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sl::deploy {

// One YAML document (no leading "---"), ending in a newline.
std::string ToYaml(const nlohmann::json& doc);
// Several documents, each introduced by "---" (kubectl apply -f reads them all).
std::string ToYamlStream(const std::vector<nlohmann::json>& docs);

}  // namespace sl::deploy
