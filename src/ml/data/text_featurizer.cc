#include "ml/data/text_featurizer.h"

#include "ml/data/email_text.h"
#include "ml/data/rng.h"

namespace sl::ml::data {
namespace {

constexpr std::string_view kType = "hashed-ngrams";
constexpr std::string_view kHash = "fnv1a64-mix64-v1";

inline bool IsTokenByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
inline unsigned char Lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// Calls f(begin, end) for every token of text (bytes not yet lowercased).
template <typename F>
void ForEachToken(std::string_view text, F&& f) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && !IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < n && IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start && !f(start, i)) return;
  }
}

uint64_t TokenHash(std::string_view text, size_t begin, size_t end) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = begin; i < end; ++i) {
    h ^= Lower(static_cast<unsigned char>(text[i]));
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

nlohmann::json TextFeaturizerConfig::ToJson() const {
  return {{"type", kType},
          {"hash", kHash},
          {"vocab_size", vocab_size},
          {"ngram_max", ngram_max},
          {"max_tokens", max_tokens},
          {"input", input == Input::kEmail ? "email" : "plain"}};
}

Status TextFeaturizerConfig::Validate() const {
  if (vocab_size < 1 || vocab_size >= (int64_t{1} << 31)) {
    return InvalidArgument("featurizer.vocab_size = {}: must be in [1, 2^31)", vocab_size);
  }
  if (ngram_max < 1 || ngram_max > 3) {
    return InvalidArgument("featurizer.ngram_max = {}: must be 1, 2 or 3", ngram_max);
  }
  if (max_tokens < 0) return InvalidArgument("featurizer.max_tokens = {}: must be >= 0", max_tokens);
  return Status::Ok();
}

Result<TextFeaturizerConfig> TextFeaturizerConfig::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("featurizer: expected an object, got {}", j.type_name());
  auto str = [&](const char* key) -> Result<std::string> {
    if (!j.contains(key) || !j[key].is_string()) {
      return InvalidArgument("featurizer.{}: missing or not a string", key);
    }
    return j[key].get<std::string>();
  };
  auto integer = [&](const char* key) -> Result<int64_t> {
    if (!j.contains(key) || !j[key].is_number_integer()) {
      return InvalidArgument("featurizer.{}: missing or not an integer", key);
    }
    return j[key].get<int64_t>();
  };
  SL_ASSIGN_OR_RETURN(std::string type, str("type"));
  if (type != kType) return InvalidArgument("featurizer.type = '{}': only '{}' is known", type, kType);
  SL_ASSIGN_OR_RETURN(std::string hash, str("hash"));
  if (hash != kHash) {
    return InvalidArgument("featurizer.hash = '{}': this build hashes with '{}'; ids would differ",
                           hash, kHash);
  }
  TextFeaturizerConfig c;
  SL_ASSIGN_OR_RETURN(c.vocab_size, integer("vocab_size"));
  SL_ASSIGN_OR_RETURN(int64_t ngram, integer("ngram_max"));
  if (ngram < 1 || ngram > 3) return InvalidArgument("featurizer.ngram_max = {}: must be 1, 2 or 3", ngram);
  c.ngram_max = static_cast<int>(ngram);
  SL_ASSIGN_OR_RETURN(c.max_tokens, integer("max_tokens"));
  SL_ASSIGN_OR_RETURN(std::string input, str("input"));
  if (input == "plain") {
    c.input = Input::kPlain;
  } else if (input == "email") {
    c.input = Input::kEmail;
  } else {
    return InvalidArgument("featurizer.input = '{}': expected 'plain' or 'email'", input);
  }
  SL_RETURN_IF_ERROR(c.Validate());
  return c;
}

Result<TextFeaturizer> TextFeaturizer::Create(const TextFeaturizerConfig& config) {
  SL_RETURN_IF_ERROR(config.Validate());
  return TextFeaturizer(config);
}

void TextFeaturizer::FeaturizeInto(std::string_view raw, std::vector<int32_t>& out) const {
  std::string stripped;
  std::string_view text = raw;
  if (config_.input == TextFeaturizerConfig::Input::kEmail) {
    stripped = EmailBodyWithSubject(raw);
    text = stripped;
  }
  std::vector<uint64_t> hashes;
  ForEachToken(text, [&](size_t b, size_t e) {
    hashes.push_back(TokenHash(text, b, e));
    return config_.max_tokens == 0 || static_cast<int64_t>(hashes.size()) < config_.max_tokens;
  });
  const uint64_t vocab = static_cast<uint64_t>(config_.vocab_size);
  const size_t n = hashes.size();
  // No out.reserve(): callers append a whole corpus into one vector, and an exact reserve per
  // call would defeat geometric growth (quadratic copying).
  for (int g = 1; g <= config_.ngram_max; ++g) {
    for (size_t i = 0; i + g <= n; ++i) {
      // The n-gram length is mixed in so "a" and the bigram "a a" never share a hash by design.
      uint64_t h = Mix64(static_cast<uint64_t>(g) * 0x9e3779b97f4a7c15ULL);
      for (int k = 0; k < g; ++k) h = Mix64(h ^ hashes[i + k]);
      out.push_back(static_cast<int32_t>(h % vocab));
    }
  }
}

std::vector<int32_t> TextFeaturizer::Featurize(std::string_view text) const {
  std::vector<int32_t> out;
  FeaturizeInto(text, out);
  return out;
}

std::vector<std::string> TextFeaturizer::Tokenize(std::string_view text) {
  std::vector<std::string> out;
  ForEachToken(text, [&](size_t b, size_t e) {
    std::string t(text.substr(b, e - b));
    for (char& c : t) c = static_cast<char>(Lower(static_cast<unsigned char>(c)));
    out.push_back(std::move(t));
    return true;
  });
  return out;
}

}  // namespace sl::ml::data
