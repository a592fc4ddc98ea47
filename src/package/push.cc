#include "package/push.h"

#include "common/file_util.h"
#include "package/subprocess.h"

namespace sl::package {

Result<std::string> PushImage(const BuiltImage& image, const PushOptions& o) {
  std::string dest = o.destination;
  if (dest.find("://") == std::string::npos) dest = "docker://" + dest;
  TempDir tmp("sl-push");
  const std::string digest_file = tmp.Join("digest");
  std::vector<std::string> argv = {"skopeo", "copy", "--quiet", "--digestfile", digest_file};
  if (!o.tls_verify) argv.push_back("--dest-tls-verify=false");
  if (!o.authfile.empty()) argv.insert(argv.end(), {"--authfile", o.authfile});
  // Keep our manifest as it is (no conversion), so the registry's digest is the layout's.
  argv.push_back("--preserve-digests");
  argv.push_back("oci:" + image.layout_dir + ":" + image.ref_name);
  argv.push_back(dest);
  Result<ProcessResult> r = RunProcess(argv);
  if (!r.ok()) {
    return NotFound("pushing to {} needs skopeo (apt-get install skopeo): {}", o.destination,
                    r.status().message());
  }
  if (r->exit_code != 0) return Unavailable("skopeo copy to {}: {}", o.destination, FirstLine(*r));
  SL_ASSIGN_OR_RETURN(std::string digest, ReadFileToString(digest_file));
  while (!digest.empty() && (digest.back() == '\n' || digest.back() == ' ')) digest.pop_back();
  return digest;
}

}  // namespace sl::package
