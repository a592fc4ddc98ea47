#include "package/library_closure.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "package/subprocess.h"

namespace sl::package {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string Dirname(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

// Lexically joins a symlink's target onto the directory that holds the link.
std::string ResolveAgainst(const std::string& dir, const std::string& target) {
  std::string joined = target.front() == '/' ? target : dir + "/" + target;
  std::vector<std::string> parts;
  std::stringstream in(joined);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

}  // namespace

Result<std::vector<std::string>> SharedLibraries(const std::string& binary) {
  if (::access(binary.c_str(), R_OK) != 0) return ErrnoError(errno, binary);
  SL_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({"ldd", binary}));
  if (r.exit_code != 0) {
    return InvalidArgument("{}: ldd failed (is it a dynamic executable?): {}", binary,
                           FirstLine(r));
  }
  std::vector<std::string> libs;
  std::stringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty()) continue;
    size_t arrow = line.find(" => ");
    std::string path;
    if (arrow != std::string::npos) {
      std::string rest = line.substr(arrow + 4);
      if (rest.rfind("not found", 0) == 0) {
        return NotFound("{}: needs {}, which the loader does not find", binary,
                        line.substr(0, arrow));
      }
      path = rest.substr(0, rest.find(" ("));
    } else if (line.front() == '/') {
      path = line.substr(0, line.find(" ("));  // the loader
    } else {
      continue;  // linux-vdso.so.1: provided by the kernel
    }
    if (!path.empty() && path.front() == '/') libs.push_back(path);
  }
  return libs;
}

Result<std::vector<std::string>> LibraryClosure(const std::vector<std::string>& binaries,
                                                const std::vector<std::string>& extra) {
  std::set<std::string> all;
  for (const auto& b : binaries) {
    SL_ASSIGN_OR_RETURN(std::vector<std::string> libs, SharedLibraries(b));
    all.insert(libs.begin(), libs.end());
  }
  for (const auto& e : extra) {
    if (::access(e.c_str(), R_OK) != 0) return ErrnoError(errno, e);
    all.insert(e);
    // What an extra library needs comes along too.
    SL_ASSIGN_OR_RETURN(std::vector<std::string> libs, SharedLibraries(e));
    all.insert(libs.begin(), libs.end());
  }
  return std::vector<std::string>(all.begin(), all.end());
}

Result<std::string> AddHostPath(const std::string& host_path, LayerTree* tree) {
  if (host_path.empty() || host_path.front() != '/') {
    return InvalidArgument("{}: not an absolute path", host_path);
  }
  std::string path = ResolveAgainst("/", host_path);
  for (int hops = 0; hops < 40; ++hops) {
    // Find the first component of `path` that is a symlink.
    bool rewritten = false;
    for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
      std::string prefix = end == std::string::npos ? path : path.substr(0, end);
      struct stat st {};
      if (::lstat(prefix.c_str(), &st) != 0) return ErrnoError(errno, prefix);
      if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = ::readlink(prefix.c_str(), buf, sizeof buf - 1);
        if (n < 0) return ErrnoError(errno, prefix);
        std::string target(buf, static_cast<size_t>(n));
        SL_RETURN_IF_ERROR(tree->AddSymlink(prefix, target));
        std::string resolved = ResolveAgainst(Dirname(prefix), target);
        path = end == std::string::npos ? resolved : resolved + path.substr(end);
        rewritten = true;
        break;
      }
      if (end == std::string::npos) {
        if (!S_ISREG(st.st_mode)) return InvalidArgument("{}: not a regular file", prefix);
        SL_RETURN_IF_ERROR(tree->AddFile(prefix, prefix, st.st_mode & 0755));
        return prefix;
      }
      if (!S_ISDIR(st.st_mode)) return InvalidArgument("{}: not a directory", prefix);
    }
    if (!rewritten) break;
  }
  return InvalidArgument("{}: too many levels of symbolic links", host_path);
}

Result<std::map<std::string, DebianOrigin>> DebianOrigins(const std::vector<std::string>& paths) {
  std::map<std::string, DebianOrigin> out;
  if (paths.empty()) return out;
  // dpkg records a file under the path its package shipped; with merged /usr that may be the
  // /lib or the /usr/lib spelling, so ask for both and map back.
  std::map<std::string, std::string> asked;  // spelling -> original path
  std::vector<std::string> argv = {"dpkg", "-S"};
  for (const auto& p : paths) {
    out[p] = {};
    asked[p] = p;
    std::string alt = p.rfind("/usr/", 0) == 0 ? p.substr(4) : "/usr" + p;
    asked[alt] = p;
    argv.push_back(p);
    argv.push_back(alt);
  }
  SL_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv));
  if (r.exit_code != 0 && r.out.empty()) {
    return FailedPrecondition("dpkg -S found none of {} files: {}", paths.size(), FirstLine(r));
  }
  std::set<std::string> packages;
  std::stringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    // "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6"; diversions start with "diversion by".
    size_t sep = line.find(": /");
    if (sep == std::string::npos || line.rfind("diversion", 0) == 0) continue;
    std::string pkg = line.substr(0, sep);
    std::string file = line.substr(sep + 2);
    auto it = asked.find(file);
    if (it == asked.end() || pkg.find(',') != std::string::npos) continue;
    out[it->second].package = pkg;
    packages.insert(pkg);
  }
  if (packages.empty()) return out;
  std::vector<std::string> q = {"dpkg-query", "-W", "-f=${binary:Package} ${Version}\n"};
  q.insert(q.end(), packages.begin(), packages.end());
  SL_ASSIGN_OR_RETURN(ProcessResult v, RunProcess(q));
  std::map<std::string, std::string> versions;
  std::stringstream vin(v.out);
  while (std::getline(vin, line)) {
    size_t sp = line.find(' ');
    if (sp != std::string::npos) versions[line.substr(0, sp)] = line.substr(sp + 1);
  }
  for (auto& [path, origin] : out) {
    if (origin.package.empty()) continue;
    auto it = versions.find(origin.package);
    if (it == versions.end()) {
      // dpkg-query prints "libc6:amd64" for multi-arch packages and "pkg" for the others.
      it = versions.find(origin.package.substr(0, origin.package.find(':')));
    }
    if (it != versions.end()) origin.version = it->second;
  }
  return out;
}

}  // namespace sl::package
