// TextFeaturizer: raw text → token ids, deterministically, with a config that the model
// artifact stores (ToJson) so that `predict` featurizes a raw text file exactly as training did.
//
// Pipeline:
//   1. input == "email": the text is an RFC 822 message; headers are dropped except Subject,
//      which is kept in front of the body (ml/data/email_text.h explains why).
//   2. Tokenise: lowercase ASCII; a token is a maximal run of ASCII letters/digits and of bytes
//      >= 0x80 (so UTF-8 words stay whole); everything else separates tokens.
//   3. Keep the first max_tokens tokens (0 = all).
//   4. Emit one id per n-gram, n = 1..ngram_max, in text order (all unigrams, then bigrams, ...):
//      id = hash(n-gram) mod vocab_size, hash = 64-bit FNV-1a per token, combined and finalised
//      with the splitmix64 mixer. The hash is fixed by "hash": "fnv1a64-mix64-v1" in the JSON;
//      changing it must change that name so old artifacts are refused, not silently misread.
// Ids are in [0, vocab_size); an empty text gives no ids.
//
// Thread safety: immutable after construction; Featurize is safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::ml::data {

struct TextFeaturizerConfig {
  enum class Input { kPlain, kEmail };
  int64_t vocab_size = int64_t{1} << 18;
  int ngram_max = 2;       // 1: unigrams only; 2: + bigrams; up to 3
  int64_t max_tokens = 0;  // words kept from the start of the (stripped) text; 0 = unlimited
  Input input = Input::kPlain;

  // {"type": "hashed-ngrams", "hash": "fnv1a64-mix64-v1", "vocab_size": ..., "ngram_max": ...,
  //  "max_tokens": ..., "input": "plain" | "email"}
  nlohmann::json ToJson() const;
  // INVALID_ARGUMENT naming the field for a wrong type, unknown hash/type or bad range.
  static Result<TextFeaturizerConfig> FromJson(const nlohmann::json& j);
  // INVALID_ARGUMENT unless vocab_size in [1, 2^31), ngram_max in [1, 3], max_tokens >= 0.
  Status Validate() const;
};

class TextFeaturizer {
 public:
  // INVALID_ARGUMENT if the config does not validate.
  static Result<TextFeaturizer> Create(const TextFeaturizerConfig& config);

  const TextFeaturizerConfig& config() const { return config_; }
  // Appends the ids of `text` to `out` (so a whole corpus can share one buffer).
  void FeaturizeInto(std::string_view text, std::vector<int32_t>& out) const;
  std::vector<int32_t> Featurize(std::string_view text) const;

  // Step 2 alone, exposed for tests and tools: lowercase tokens of `text`.
  static std::vector<std::string> Tokenize(std::string_view text);

 private:
  explicit TextFeaturizer(TextFeaturizerConfig c) : config_(c) {}
  TextFeaturizerConfig config_;
};

}  // namespace sl::ml::data
