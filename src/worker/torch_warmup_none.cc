#include "worker/torch_warmup.h"

namespace sl::runtime {

// Built with -DSTRAIGHTLINE_WORKER_TORCH=OFF: nothing to initialise.
int WarmUpTorch() { return 0; }

}  // namespace sl::runtime
