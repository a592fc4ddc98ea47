// `straightline train --workers N …` / `--resume STORE`: the serverless path of the train command
// (train/coordinator.h on the function host that --platform names). train_command.cc parses the shared
// flags and hands over here.
#pragma once
#include <string>
#include <vector>

#include "cli/function_host_flags.h"
#include "common/flags.h"
#include "ml/train_job.h"

namespace sl::cli {

struct ServerlessTrainFlags {
  int64_t workers = 0;
  std::string provider = "aws-lambda";
  std::string memory = "1769";      // MB (Lambda: 1 vCPU, what one training thread uses), or "auto"
  double timeout_s = 120;
  int64_t rounds_per_epoch = 4;
  int64_t evaluate_every = 0;       // rounds; 0 = at the end of every epoch
  double server_lr = 1.0;           // FedAvg's server step (train/server_optimizer.h)
  double server_momentum = 0.0;
  std::string lr_schedule = "tail";     // the defaults above are chosen from the workers unless set
  int64_t max_retries = 3;
  double speculative_after = 2.0;
  std::string store;                // default: file://$PWD/runs/<dataset>-<model>-<time>
  std::string resume;
  std::string keep_rounds = "0";    // round objects kept beyond what a resume needs: N or "all"
  std::vector<std::string> compare_providers;
  std::vector<std::string> faults;
  std::string state_dir;            // platform logs + ledger; default <run dir>/platform
  double local_cpus = 0;
  double deadline_s = 0;            // --memory auto: cheapest memory that meets this deadline
  FunctionHostFlags host;           // --platform local|lambda|http and its flags

  void Register(FlagSet& flags);
  bool Requested() const { return workers > 0 || !resume.empty(); }
};

int RunServerlessTrain(const ml::TrainOptions& options, const ServerlessTrainFlags& f, const FlagSet& flags,
                       bool json, bool quiet);

}  // namespace sl::cli
