#include "serve/remote/serving_image.h"

#include <algorithm>


namespace sl::serve {

std::vector<std::string> BindToLoopback(std::vector<std::string> args) {
  bool found = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--host" && i + 1 < args.size()) {
      args[i + 1] = "127.0.0.1";
      found = true;
    } else if (args[i].rfind("--host=", 0) == 0) {
      args[i] = "--host=127.0.0.1";
      found = true;
    }
  }
  if (!found) {
    args.push_back("--host");
    args.push_back("127.0.0.1");
  }
  return args;
}

std::vector<std::string> SetEnv(std::vector<std::string> env, const std::string& key_value) {
  const std::string key = key_value.substr(0, key_value.find('=') + 1);
  std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
  env.push_back(key_value);
  return env;
}

}  // namespace sl::serve
