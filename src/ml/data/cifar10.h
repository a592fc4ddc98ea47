// CIFAR-10 binary batches (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version"):
// each record is 1 label byte + 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each a
// row-major 32x32 plane), which is exactly the {3, 32, 32} C,H,W layout we return.
// Features are in [0, 1] (byte / 255); normalisation is separate (ml/data/normalization.h).
//
// A CIFAR-10 directory must hold data_batch_1.bin .. data_batch_5.bin and test_batch.bin (raw or
// .gz): a missing batch is an error, never a silently smaller dataset. batches.meta.txt, if
// present, supplies the class names (10 non-empty lines); otherwise the standard names are used.
//
// Failure contract (errors name the file): NOT_FOUND missing batch; DATA_LOSS truncated record
// (with its index and byte offset) or empty batch; INVALID_ARGUMENT label out of range (record
// and byte offset) or a malformed batches.meta.txt.
// Thread safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

inline constexpr int kCifarRecordBytes = 1 + 3 * 32 * 32;

// Appends the records of one batch file to `out` (dense, shape {3, 32, 32}).
Status AppendCifar10Batch(const std::string& path, Dataset& out);

// The standard names, or those of <dir>/batches.meta.txt when present.
Result<std::vector<std::string>> Cifar10ClassNames(const std::string& dir);

struct Cifar10 {
  Dataset train;  // data_batch_1..5 in order
  Dataset test;   // test_batch
};
Result<Cifar10> LoadCifar10(const std::string& dir);

}  // namespace sl::ml::data
