#include "faas/functions_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {
namespace {

TEST(FunctionsFile, ParsesDefaultsAndFunctions) {
  auto specs = ParseFunctionsYaml(R"(
provider:
  name: aws-lambda
  memorySize: 256
  timeout: 7
  environment: {STAGE: dev}
functions:
  echo:
    handler: echo
  hello:
    runtime: provided.al2023
    codeUri: hello
    handler: function.handler
    memorySize: 512
    reservedConcurrency: 3
    provisionedConcurrency: 1
    keepAlive: fixed:90s
    environment: {GREETING: hi}
)", "fns.yaml", "/base");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 2u);
  const FunctionSpec& echo = (*specs)[0];
  EXPECT_EQ(echo.name, "echo");
  EXPECT_EQ(echo.kind, HandlerKind::kBuiltin);
  EXPECT_EQ(echo.memory_mb, 256);
  EXPECT_EQ(echo.timeout_s, 7);
  EXPECT_EQ(echo.environment.at("STAGE"), "dev");
  EXPECT_EQ(echo.source, "fns.yaml");
  const FunctionSpec& hello = (*specs)[1];
  EXPECT_EQ(hello.kind, HandlerKind::kBootstrap);
  EXPECT_EQ(hello.code_dir, "/base/hello");
  EXPECT_EQ(hello.memory_mb, 512);
  EXPECT_EQ(hello.reserved_concurrency, 3);
  EXPECT_EQ(hello.provisioned_concurrency, 1);
  EXPECT_EQ(hello.keep_alive, "fixed:90s");
  EXPECT_EQ(hello.environment.at("STAGE"), "dev");
  EXPECT_EQ(hello.environment.at("GREETING"), "hi");
}

TEST(FunctionsFile, SandboxKeysMountsEgressAndEphemeralStorage) {
  auto specs = ParseFunctionsYaml(R"(
functions:
  etl:
    handler: echo
    ephemeralStorage: {Size: 2048}
    mounts: [data, {path: /srv/out, writable: true}]
    egress: [127.0.0.1:9000, "http://store.local:4568"]
)", "fns.yaml", "/base");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  const FunctionSpec& etl = (*specs)[0];
  EXPECT_EQ(etl.ephemeral_storage_mb, 2048);
  ASSERT_EQ(etl.mounts.size(), 2u);
  EXPECT_EQ(etl.mounts[0].path, "/base/data");
  EXPECT_FALSE(etl.mounts[0].writable);
  EXPECT_EQ(etl.mounts[1].path, "/srv/out");
  EXPECT_TRUE(etl.mounts[1].writable);
  EXPECT_EQ(etl.egress, (std::vector<std::string>{"127.0.0.1:9000", "http://store.local:4568"}));
  auto bad = ParseFunctionsYaml("functions:\n  f:\n    handler: echo\n    mounts: [{writable: true}]\n", "fns.yaml", "/b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fns.yaml: function 'f': mounts"), std::string::npos) << bad.status().ToString();
}

TEST(FunctionsFile, RemotePlatformKeysAreAcceptedAndReadBack) {
  TempDir dir("sl-fns-platform");
  const std::string path = dir.Join("functions.yaml");
  ASSERT_TRUE(WriteFileAtomic(path, R"(
provider:
  name: aws-lambda
  platform: lambda
  endpointUrl: http://10.0.0.2:9000
  region: eu-west-1
  http: {timeout: 30}
functions:
  echo: {handler: echo, url: "https://echo.example/", headers: {X-A: b}, auth: {bearerTokenEnv: T}}
)").ok());
  auto specs = LoadFunctionsFile(path);
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 1u);
  auto where = ReadFunctionsFilePlatform(path);
  ASSERT_TRUE(where.ok()) << where.status().ToString();
  EXPECT_EQ(where->platform, "lambda");
  EXPECT_EQ(where->endpoint_url, "http://10.0.0.2:9000");
  EXPECT_EQ(where->region, "eu-west-1");

  auto bad = ParseFunctionsYaml("provider: {platform: gcp}\nfunctions:\n  f: {handler: echo}\n", "p.yaml", ".");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "p.yaml: provider: platform: 'gcp' is not local, lambda or http");
  ASSERT_TRUE(WriteFileAtomic(path, "functions:\n  f: {handler: echo}\n").ok());
  auto none = ReadFunctionsFilePlatform(path);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->platform, "");
}

TEST(FunctionsFile, ErrorsNameFileFunctionAndField) {
  auto bad_int = ParseFunctionsYaml("functions:\n  f:\n    handler: echo\n    memorySize: big\n",
                                    "fns.yaml", ".");
  ASSERT_FALSE(bad_int.ok());
  EXPECT_EQ(bad_int.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_int.status().message().find("fns.yaml: function 'f': memorySize"), std::string::npos)
      << bad_int.status().ToString();

  auto typo = ParseFunctionsYaml("functions:\n  f:\n    handler: echo\n    memsize: 128\n",
                                 "fns.yaml", ".");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("'f': memsize: unknown field"), std::string::npos);

  auto runtime = ParseFunctionsYaml("functions:\n  f:\n    runtime: python3.12\n", "x.yaml", ".");
  ASSERT_FALSE(runtime.ok());
  EXPECT_NE(runtime.status().message().find("runtime: 'python3.12' unknown"), std::string::npos);

  auto empty = ParseFunctionsYaml("provider: aws-lambda\n", "e.yaml", ".");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("e.yaml: functions"), std::string::npos);

  auto syntax = ParseFunctionsYaml("functions: [\n", "s.yaml", ".");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("s.yaml: line"), std::string::npos);
}

// Found by functions_yaml_fuzz (issue 16): a map without Size/size as ephemeralStorage threw
// YAML::InvalidNode out of the parser (terminating the CLI) instead of an INVALID_ARGUMENT.
TEST(FunctionsFile, EphemeralStorageMapWithoutSizeIsAnError) {
  auto bad = ParseFunctionsYaml("functions:\n  f:\n    handler: echo\n    ephemeralStorage: {Sise: 1024}\n",
                                "fns.yaml", ".");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'f': ephemeralStorage: want a size"), std::string::npos)
      << bad.status().ToString();
  for (const char* good : {"{Size: 1024}", "{size: 1024}", "1024"}) {
    auto ok = ParseFunctionsYaml(
        std::string("functions:\n  f:\n    handler: echo\n    ephemeralStorage: ") + good + "\n",
        "fns.yaml", ".");
    ASSERT_TRUE(ok.ok()) << good << ": " << ok.status().ToString();
    EXPECT_EQ((*ok)[0].ephemeral_storage_mb, 1024) << good;
  }
}

TEST(FunctionsFile, MissingFileIsNotFound) {
  auto r = LoadFunctionsFile("/nonexistent/functions.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

// Changes into `dir` for its lifetime; the tests below load files by relative paths.
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir) {
    char buf[4096];
    old_ = ::getcwd(buf, sizeof buf) ? buf : "/";
    EXPECT_EQ(::chdir(dir.c_str()), 0) << dir;
  }
  ~ScopedChdir() { (void)::chdir(old_.c_str()); }

 private:
  std::string old_;
};

void WriteBootstrap(const std::string& dir) {
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/bootstrap", "#!/bin/sh\nexit 0\n").ok());
  ASSERT_EQ(::chmod((dir + "/bootstrap").c_str(), 0755), 0);
}

constexpr const char* kHelloYaml =
    "functions:\n  hello:\n    runtime: provided.al2023\n    codeUri: ./hello\n"
    "    handler: function.handler\n";

TEST(FunctionsFile, RelativeCodeUriOfARelativeFileResolvesToAnAbsolutePath) {
  TempDir tmp("fnfile");
  WriteBootstrap(tmp.Join("proj/hello"));
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("proj/functions.yaml"), kHelloYaml).ok());
  Result<std::vector<FunctionSpec>> specs = std::vector<FunctionSpec>{};
  {
    ScopedChdir in(tmp.path());
    specs = LoadFunctionsFile("proj/functions.yaml");
  }
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 1u);
  const std::string& code_dir = (*specs)[0].code_dir;
  ASSERT_FALSE(code_dir.empty());
  EXPECT_EQ(code_dir[0], '/') << code_dir;
  EXPECT_EQ(code_dir, tmp.Join("proj/hello"));
  // The platform runs the bootstrap from inside another directory: the path must still hold.
  ScopedChdir elsewhere("/");
  EXPECT_EQ(::access((code_dir + "/bootstrap").c_str(), X_OK), 0) << code_dir;
}

TEST(FunctionsFile, FileInTheCurrentDirectoryResolvesCodeUriToo) {
  TempDir tmp("fnfile");
  WriteBootstrap(tmp.Join("hello"));
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("functions.yaml"), kHelloYaml).ok());
  ScopedChdir in(tmp.path());
  auto specs = LoadFunctionsFile("functions.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ((*specs)[0].code_dir, tmp.Join("hello"));
}

TEST(FunctionsFile, MissingCodeDirOrBootstrapIsAnErrorAtLoadNamingFileFunctionAndPath) {
  TempDir tmp("fnfile");
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("functions.yaml"), kHelloYaml).ok());
  auto no_dir = LoadFunctionsFile(tmp.Join("functions.yaml"));
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.status().code(), Code::kInvalidArgument);
  EXPECT_NE(no_dir.status().message().find(
                tmp.Join("functions.yaml") + ": function 'hello': codeUri: directory " +
                tmp.Join("hello") + " does not exist"),
            std::string::npos)
      << no_dir.status().ToString();

  ASSERT_TRUE(MakeDirs(tmp.Join("hello")).ok());
  auto no_bootstrap = LoadFunctionsFile(tmp.Join("functions.yaml"));
  ASSERT_FALSE(no_bootstrap.ok());
  EXPECT_EQ(no_bootstrap.status().code(), Code::kInvalidArgument);
  EXPECT_NE(no_bootstrap.status().message().find(
                "function 'hello': codeUri: " + tmp.Join("hello/bootstrap") + " does not exist"),
            std::string::npos)
      << no_bootstrap.status().ToString();

  ASSERT_TRUE(WriteFileAtomic(tmp.Join("hello/bootstrap"), "#!/bin/sh\n").ok());
  ASSERT_EQ(::chmod(tmp.Join("hello/bootstrap").c_str(), 0644), 0);
  auto not_exec = LoadFunctionsFile(tmp.Join("functions.yaml"));
  ASSERT_FALSE(not_exec.ok());
  EXPECT_NE(not_exec.status().message().find("bootstrap is not an executable file"),
            std::string::npos)
      << not_exec.status().ToString();
}

TEST(FunctionSpec, ResolveFillsDefaultsAndChecksProfileLimits) {
  auto profile = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  FunctionSpec spec;
  spec.name = "f";
  spec.handler = "echo";
  spec.source = "fns.yaml";
  ASSERT_TRUE(ResolveFunctionSpec(*profile, &spec).ok());
  EXPECT_EQ(spec.memory_mb, profile->default_memory_mb);
  EXPECT_EQ(spec.timeout_s, profile->default_timeout_s);

  FunctionSpec small = spec;
  small.memory_mb = 64;
  Status s = ResolveFunctionSpec(*profile, &small);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("fns.yaml: function 'f': memorySize"), std::string::npos) << s.ToString();

  FunctionSpec slow = spec;
  slow.timeout_s = 100000;
  s = ResolveFunctionSpec(*profile, &slow);
  EXPECT_NE(s.message().find("timeout"), std::string::npos) << s.ToString();

  FunctionSpec badname = spec;
  badname.name = "a b";
  EXPECT_EQ(ResolveFunctionSpec(*profile, &badname).code(), Code::kInvalidArgument);

  FunctionSpec reserved = spec;
  reserved.environment["AWS_REGION"] = "x";
  s = ResolveFunctionSpec(*profile, &reserved);
  EXPECT_NE(s.message().find("'AWS_REGION' is reserved"), std::string::npos);

  FunctionSpec nobootstrap = spec;
  nobootstrap.kind = HandlerKind::kBootstrap;
  nobootstrap.code_dir = "/nonexistent";
  s = ResolveFunctionSpec(*profile, &nobootstrap);
  EXPECT_NE(s.message().find("codeUri: /nonexistent/bootstrap"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace sl::faas
