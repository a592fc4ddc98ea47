// Base64 (RFC 4648, standard alphabet, with padding): Lambda's X-Amz-Log-Result and
// ClientContext headers, S3's Content-MD5.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sl {

std::string Base64Encode(std::string_view bytes);
// INVALID_ARGUMENT naming the offset of the first byte outside the alphabet or a bad length.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace sl
