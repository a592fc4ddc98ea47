#include "serve/api/tier.h"

namespace sl::serve {

std::string_view TierName(TierKind kind) {
  switch (kind) {
    case TierKind::kLocal: return "local";
    case TierKind::kContainer: return "container";
    case TierKind::kFunction: return "function";
  }
  return "unknown";
}

}  // namespace sl::serve
