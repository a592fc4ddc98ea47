// The nlohmann-based decoder of JSON requests that json_reader.h replaced, kept verbatim as an
// oracle (v2_decode_diff_test.cc) and a benchmark peer (bench/v2_decode_bench.cc). Not linked
// into sl_serve_v2. Same contract as DecodeRequest(model, "application/json", body, input),
// except that it parses with nlohmann::json (which stops at a NUL byte and has no depth limit).
#pragma once

#include <string>
#include <string_view>

#include "serve/v2/v2_codec.h"

namespace sl::serve::v2 {

Result<InferenceRequest> ReferenceDecodeJson(std::string_view model, std::string body,
                                             const ModelInput& input);

}  // namespace sl::serve::v2
