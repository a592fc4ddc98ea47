// straightline-worker: the function instance executable.
//   straightline-worker            serve _HANDLER against AWS_LAMBDA_RUNTIME_API (exec'd instance)
//   straightline-worker --zygote   template process: fork instances on request over fd 3
//   straightline-worker --list     print the built-in handler names
// It links libtorch (see CMakeLists.txt) so that cold starts are measured with the static
// initialisation the ML handlers will bring.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/malloc_tuning.h"
#include "runtime/builtin_handlers.h"
#include "runtime/run_handler.h"
#if SL_WORKER_ML_HANDLERS
#include "train/train_handlers.h"
#include "serve/handler/predict_handler.h"
#endif
#include "worker/torch_warmup.h"
#include "runtime/zygote.h"

int main(int argc, char** argv) {
  sl::TuneMallocForTensorWork();  // before any thread starts; see common/malloc_tuning.h
  sl::runtime::HandlerRegistry registry;
  sl::Status s = sl::runtime::RegisterBuiltinHandlers(&registry);
#if SL_WORKER_ML_HANDLERS
  if (s.ok()) s = sl::train::RegisterTrainHandlers(&registry);
  if (s.ok()) s = sl::serve::RegisterServeHandlers(&registry);
#endif
  if (!s.ok()) {
    std::fprintf(stderr, "straightline-worker: %s\n", s.ToString().c_str());
    return 2;
  }
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "--list") {
    for (const auto& n : registry.Names()) std::printf("%s\n", n.c_str());
    return 0;
  }
  if (mode == "--zygote") {
    sl::runtime::WarmUpTorch();  // initialise once in the template, not in every instance
    return sl::runtime::RunZygote(3, registry);
  }
  if (!mode.empty()) {
    std::fprintf(stderr, "usage: straightline-worker [--zygote | --list]\n");
    return 2;
  }
  return sl::runtime::RunFromEnvironment(registry);
}
