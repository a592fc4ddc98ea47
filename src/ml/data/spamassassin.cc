#include "ml/data/spamassassin.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace sl::ml::data {
namespace {

Result<nlohmann::json> ParseJsonFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument("{}: invalid JSON at byte {}: {}", path, e.byte, e.what());
  }
}

// "<group>/<name>.json" ids of every e-mail, from file_list.json or by scanning.
Result<std::vector<std::string>> EmailIds(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const std::string list_path = data_dir + "/file_list.json";
  std::vector<std::string> ids;
  if (PathExists(list_path)) {
    SL_ASSIGN_OR_RETURN(nlohmann::json list, ParseJsonFile(list_path));
    if (!list.is_array()) {
      return InvalidArgument("{}: expected a JSON array of file names, got {}", list_path,
                             list.type_name());
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) {
        return InvalidArgument("{}: entry {} is not a string", list_path, i);
      }
      std::string name = list[i].get<std::string>();
      if (name.ends_with(".txt")) name.replace(name.size() - 4, 4, ".json");
      if (name.find("..") != std::string::npos || name.starts_with("/")) {
        return InvalidArgument("{}: entry {} '{}' escapes the data directory", list_path, i, name);
      }
      ids.push_back(std::move(name));
    }
    if (ids.empty()) return InvalidArgument("{}: empty file list: no e-mails", list_path);
    return ids;
  }
  std::error_code ec;
  std::vector<std::string> groups;
  for (fs::directory_iterator it(data_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) groups.push_back(it->path().filename().string());
  }
  if (ec) return ErrnoError(ec.value(), data_dir);
  std::sort(groups.begin(), groups.end());
  for (const auto& g : groups) {
    std::vector<std::string> files;
    for (fs::directory_iterator it(data_dir + "/" + g, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.ends_with(".json") && it->is_regular_file(ec)) files.push_back(g + "/" + name);
    }
    if (ec) return ErrnoError(ec.value(), data_dir + "/" + g);
    std::sort(files.begin(), files.end());
    ids.insert(ids.end(), files.begin(), files.end());
  }
  if (ids.empty()) {
    return InvalidArgument("{}: empty folder: no <group>/*.json e-mails (and no file_list.json)",
                           data_dir);
  }
  return ids;
}

}  // namespace

Result<TextCorpus> LoadSpamAssassin(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFound("{}: SpamAssassin directory does not exist", dir);
  const std::string data_dir = IsDirectory(dir + "/data") ? dir + "/data" : dir;
  SL_ASSIGN_OR_RETURN(std::vector<std::string> ids, EmailIds(data_dir));
  TextCorpus c;
  c.class_names = {"ham", "spam"};
  c.texts.reserve(ids.size());
  for (auto& id : ids) {
    const std::string path = data_dir + "/" + id;
    if (!PathExists(path)) {
      return NotFound("{}: e-mail listed in {}/file_list.json is missing", path, data_dir);
    }
    SL_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonFile(path));
    if (!j.is_object()) return InvalidArgument("{}: expected a JSON object, got {}", path, j.type_name());
    if (!j.contains("text") || !j["text"].is_string()) {
      return InvalidArgument("{}: field \"text\" is missing or not a string", path);
    }
    if (!j.contains("group") || !j["group"].is_string()) {
      return InvalidArgument("{}: field \"group\" is missing or not a string", path);
    }
    const std::string group = j["group"].get<std::string>();
    int64_t label;
    if (group.starts_with("spam")) {
      label = 1;
    } else if (group.find("ham") != std::string::npos) {
      label = 0;
    } else {
      return InvalidArgument("{}: field \"group\" = '{}' is neither a ham nor a spam group", path,
                             group);
    }
    c.texts.push_back(std::move(j["text"].get_ref<std::string&>()));
    c.labels.push_back(label);
    c.sources.push_back(std::move(id));
  }
  return c;
}

}  // namespace sl::ml::data
