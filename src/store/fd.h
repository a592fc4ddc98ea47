// UniqueFd lives in common/unique_fd.h; the store's code names it sl::store::UniqueFd.
#pragma once

#include "common/unique_fd.h"

namespace sl::store {
using ::sl::UniqueFd;
}  // namespace sl::store
