// IDX files (the MNIST / Fashion-MNIST format, http://yann.lecun.com/exdb/mnist/), read from raw
// or .gz files directly.
//
// An IDX file is: 2 zero bytes, a type byte (0x08 = unsigned byte; the only type these datasets
// use and the only one accepted), a dimension count, that many big-endian uint32 sizes, then the
// values in row-major order. The file must hold exactly header + prod(dims) bytes.
//
// Pixel scaling: LoadIdxPair returns features in [0, 1] (byte / 255). Normalisation is a separate
// step (ml/data/normalization.h) so that the raw scale stays what predict and artifacts expect.
//
// Failure contract (every error names the file):
//   NOT_FOUND           missing file
//   INVALID_ARGUMENT    wrong magic number / unsupported type / wrong dimension count,
//                       label out of range, image/label count mismatch
//   DATA_LOSS           truncated record (with its byte offset) or trailing bytes, corrupt gzip
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} or {60000}
  std::string bytes;          // prod(dims) unsigned bytes, row-major
};

// Reads an IDX file of unsigned bytes with `expected_ndims` dimensions.
Result<IdxArray> ReadIdx(const std::string& path, int expected_ndims);

// Images (N x H x W) + labels (N) → a dense Dataset with sample_shape {1, H, W}, features in
// [0, 1], labels checked against class_names.size().
Result<Dataset> LoadIdxPair(const std::string& images_path, const std::string& labels_path,
                            const std::vector<std::string>& class_names,
                            const std::string& dataset_name);

}  // namespace sl::ml::data
