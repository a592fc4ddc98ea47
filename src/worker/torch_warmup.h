// Touches libtorch once so its lazy initialisation (allocators, CPU kernels dispatch tables)
// happens in the template process before it forks instances. Torch headers stay in the .cc.
// Returns the number of torch ops run (for logs); a no-op build without torch returns 0.
#pragma once

namespace sl::runtime {

int WarmUpTorch();

}  // namespace sl::runtime
