#include "cli/commands.h"

// Compiled twice: into `straightline` (SL_CLI_ML=0: the commands that need libtorch are listed
// with run == nullptr, and main() execs straightline-ml for them) and into `straightline-ml`
// (SL_CLI_ML=1: every command runs in-process). See src/cli/CMakeLists.txt.
#ifndef SL_CLI_ML
#error "define SL_CLI_ML to 0 (the torch-free front) or 1 (straightline-ml)"
#endif

namespace sl::cli {

// One line per subcommand; each is defined in its own <name>_command.cc.
// (Add yours here, in the right block, and to the matching list in CMakeLists.txt.)
#define SL_DECLARE_COMMAND(fn) int fn(const Args& args);
// Torch-free: linked into both programs.
SL_DECLARE_COMMAND(RunVersion)
SL_DECLARE_COMMAND(RunPlatform)
SL_DECLARE_COMMAND(RunCost)
SL_DECLARE_COMMAND(RunStore)
SL_DECLARE_COMMAND(RunInvoke)
SL_DECLARE_COMMAND(RunFunctions)
SL_DECLARE_COMMAND(RunLogs)
SL_DECLARE_COMMAND(RunLoad)
SL_DECLARE_COMMAND(RunPackage)
SL_DECLARE_COMMAND(RunDeploy)
SL_DECLARE_COMMAND(RunReport)
SL_DECLARE_COMMAND(RunSimulate)
SL_DECLARE_COMMAND(RunPlan)
SL_DECLARE_COMMAND(RunDataset)
#if SL_CLI_ML
// Need libtorch: linked into straightline-ml only.
SL_DECLARE_COMMAND(RunTrain)
SL_DECLARE_COMMAND(RunEval)
SL_DECLARE_COMMAND(RunPredict)
SL_DECLARE_COMMAND(RunModel)
SL_DECLARE_COMMAND(RunServe)
SL_DECLARE_COMMAND(RunCalibrate)
#define SL_ML(fn) fn
#else
#define SL_ML(fn) nullptr
#endif
#undef SL_DECLARE_COMMAND

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"version", "print the version and the build's libraries", RunVersion},
      {"platform", "serve: the local function platform behind the Lambda Invoke API", RunPlatform},
      {"cost", "cost of a ledger's invocations per function/provider, repriced, vs VMs", RunCost},
      {"store", "inspect an object store: ls|put|get|cat|rm|stat s3://..., gs://..., az://... or file://...", RunStore},
      {"train", "train a model on a dataset, report accuracy, write a model artifact", SL_ML(RunTrain)},
      {"eval", "evaluate a model artifact: accuracy, per class, confusion, --kfold K", SL_ML(RunEval)},
      {"predict", "predict the class of an image, IDX record or text file", SL_ML(RunPredict)},
      {"model", "model import (TorchScript) | show DIR | list", SL_ML(RunModel)},
      {"dataset", "list | write-imagefolder: a dataset as JPEG files, one folder per class", RunDataset},
      {"invoke", "invoke a function once: embedded platform, or --platform lambda|http", RunInvoke},
      {"functions", "list: the functions of a functions file, resolved per provider", RunFunctions},
      {"logs", "print a function's log stream (START/END/REPORT lines)", RunLogs},
      {"serve", "serve models over KServe v2 from local, container and function tiers with placement", SL_ML(RunServe)},
      {"calibrate", "measure the tiers and write the placement thresholds F and D for serve", SL_ML(RunCalibrate)},
      {"load", "open-loop load on a KServe v2 server (loopback): phases, sessions, payload mix", RunLoad},
      {"package", "build an OCI image (serving or function) without a container engine; --push", RunPackage},
      {"deploy", "write descriptors: aws-sam | knative | kserve | kubernetes | azure-functions", RunDeploy},
      {"report", "the papers' figures as one offline HTML file from runs, comparisons, load reports, ledgers", RunReport},
      {"plan", "the cheapest provider per stage (preprocess, train, inference) from measured profiles, deadline, SLO", RunPlan},
      {"simulate", "keep-alive: a trace against keep-alive policies in virtual time (cold starts, wasted GB-s); placement: the gateway and its placers in virtual time", RunSimulate},
  };
  return commands;
}
#undef SL_ML

}  // namespace sl::cli
