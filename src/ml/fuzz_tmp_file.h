// For the libFuzzer targets of file loaders (image_io_fuzz, idx_fuzz, cifar10_fuzz; issue 16): a
// private temporary directory per fuzzing process (removed at exit) and a way to put the input
// in a file there, since these parsers read paths. Header-only; only for fuzz targets.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace sl::fuzz {

inline const std::string& TempDir() {
  static const std::string dir = [] {
    std::string t = (std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp");
    t += "/sl-fuzz-XXXXXX";
    if (::mkdtemp(t.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    static std::string copy = t;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(copy, ec);
    });
    return t;
  }();
  return dir;
}

// Writes `bytes` to TempDir()/name and returns the path.
inline std::string PutFile(const std::string& name, std::string_view bytes) {
  const std::string path = TempDir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace sl::fuzz
