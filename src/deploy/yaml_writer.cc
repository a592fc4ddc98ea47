#include "deploy/yaml_writer.h"

#include <set>

namespace sl::deploy {
namespace {

using nlohmann::json;

bool PlainKey(const std::string& k) {
  // Words a YAML 1.1 reader (PyYAML, older kubectl) turns into booleans or null.
  static const std::set<std::string> kSpecial = {"y", "Y", "n", "N", "yes", "Yes", "YES", "no",
                                                 "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                                                 "true", "True", "TRUE", "false", "False", "FALSE",
                                                 "null", "Null", "NULL", "~"};
  if (k.empty() || kSpecial.count(k) > 0) return false;
  if (k[0] == '-' || k[0] == '.' || (k[0] >= '0' && k[0] <= '9')) return false;
  for (char c : k) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Key(const std::string& k) { return PlainKey(k) ? k : json(k).dump(); }

// A scalar or an empty collection, written inline.
std::string Inline(const json& v) {
  if (v.is_object() && v.empty()) return "{}";
  if (v.is_array() && v.empty()) return "[]";
  if (v.is_number_float()) {
    // YAML 1.1 readers (PyYAML) take "1e+20" for a string: a float needs a '.'.
    std::string s = v.dump();
    if (s.find_first_of(".ni") == std::string::npos) {  // not "1.5", "nan", "inf"
      const auto e = s.find_first_of("eE");
      s.insert(e == std::string::npos ? s.size() : e, ".0");
    }
    return s;
  }
  return v.dump();  // strings JSON-quoted (valid YAML double-quoted scalars), numbers, bools, null
}

bool IsBlock(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void Emit(const json& v, int indent, std::string& out);

void EmitObject(const json& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += pad + Key(it.key()) + ":";
    if (IsBlock(it.value())) {
      out += "\n";
      // Sequences under a key are indented too; both styles are valid YAML.
      Emit(it.value(), indent + 2, out);
    } else {
      out += " " + Inline(it.value()) + "\n";
    }
  }
}

void EmitArray(const json& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  for (const auto& item : v) {
    if (item.is_object() && !item.empty()) {
      // "- first: x" then the other keys aligned under "first".
      std::string body;
      EmitObject(item, indent + 2, body);
      out += pad + "- " + body.substr(indent + 2);
    } else if (item.is_array() && !item.empty()) {
      out += pad + "-\n";
      EmitArray(item, indent + 2, out);
    } else {
      out += pad + "- " + Inline(item) + "\n";
    }
  }
}

void Emit(const json& v, int indent, std::string& out) {
  if (v.is_object()) {
    EmitObject(v, indent, out);
  } else if (v.is_array()) {
    EmitArray(v, indent, out);
  } else {
    out += std::string(indent, ' ') + Inline(v) + "\n";
  }
}

}  // namespace

std::string ToYaml(const nlohmann::json& doc) {
  std::string out;
  if (IsBlock(doc)) {
    Emit(doc, 0, out);
  } else {
    out = Inline(doc) + "\n";
  }
  return out;
}

std::string ToYamlStream(const std::vector<nlohmann::json>& docs) {
  std::string out;
  for (const auto& d : docs) out += "---\n" + ToYaml(d);
  return out;
}

}  // namespace sl::deploy
