// Training shards in the object store: one preprocessed (normalised / featurised) slice of the
// train split, written once by the preprocessing stage and read by every round's functions.
// Format: a frame (framed_blob.h) with magic "SLSHARD1", a JSON header describing the dataset
// (name, kind, sample shape, size, vocabulary, class names) and a payload of raw little-endian
// arrays: features (float32), labels (int64), and for token datasets offsets (int64) + ids (int32).
//
// Failure contract: DecodeShard returns DATA_LOSS (naming `where`) for a damaged frame or arrays
// whose sizes disagree with the header, INVALID_ARGUMENT for labels or token ids out of range.
// Thread safety: stateless functions.
#pragma once
#include <string>
#include <string_view>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::train {

std::string EncodeShard(const ml::Dataset& data);
Result<ml::Dataset> DecodeShard(std::string_view bytes, std::string_view where);

}  // namespace sl::train
