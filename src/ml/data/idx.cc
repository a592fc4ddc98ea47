#include "ml/data/idx.h"

#include "ml/data/compressed_file.h"

namespace sl::ml::data {
namespace {

uint32_t ReadBE32(const std::string& s, size_t off) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + off);
  return (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

}  // namespace

Result<IdxArray> ReadIdx(const std::string& path, int expected_ndims) {
  SL_ASSIGN_OR_RETURN(std::string data, ReadMaybeGzipFile(path));
  if (data.size() < 4) {
    return DataLoss("{}: truncated header: {} bytes, an IDX header needs at least 4", path,
                    data.size());
  }
  const auto* u = reinterpret_cast<const unsigned char*>(data.data());
  const uint32_t magic = ReadBE32(data, 0);
  if (u[0] != 0 || u[1] != 0) {
    return InvalidArgument("{}: wrong magic number 0x{:08x} at byte 0: not an IDX file (expected "
                           "0x0000080{} for {}-dimensional unsigned bytes)",
                           path, magic, expected_ndims, expected_ndims);
  }
  if (u[2] != 0x08) {
    return InvalidArgument("{}: wrong magic number 0x{:08x}: data type 0x{:02x} at byte 2 is not "
                           "supported (only 0x08, unsigned byte)", path, magic, u[2]);
  }
  if (u[3] != expected_ndims) {
    return InvalidArgument("{}: wrong magic number 0x{:08x}: {} dimensions at byte 3, expected {} "
                           "(images have 3, labels 1)", path, magic, u[3], expected_ndims);
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_ndims);
  if (data.size() < header) {
    return DataLoss("{}: truncated header: file has {} bytes, the {}-dimensional header needs {}",
                    path, data.size(), expected_ndims, header);
  }
  IdxArray out;
  uint64_t total = 1, record = 1;
  for (int d = 0; d < expected_ndims; ++d) {
    const uint32_t n = ReadBE32(data, 4 + 4 * d);
    if (n == 0) {
      return InvalidArgument("{}: dimension {} at byte {} is 0: the file holds no data", path, d,
                             4 + 4 * d);
    }
    // Checked before multiplying so that no product can overflow.
    if (total > (uint64_t{1} << 40) / n) {
      return InvalidArgument("{}: dimension {} at byte {}: size {} makes the array implausibly "
                             "large", path, d, 4 + 4 * d, n);
    }
    out.dims.push_back(n);
    total *= n;
    if (d > 0) record *= n;
  }
  const uint64_t body = data.size() - header;
  if (body < total) {
    const uint64_t complete = record ? body / record : 0;
    return DataLoss("{}: truncated record {} of {} at byte offset {}: needs {} bytes, the file "
                    "ends at byte {}", path, complete, out.dims[0], header + complete * record,
                    record, data.size());
  }
  if (body > total) {
    return DataLoss("{}: {} unexpected trailing bytes at byte offset {} after {} records", path,
                    body - total, header + total, out.dims[0]);
  }
  data.erase(0, header);  // an in-place move, not a second 47 MB buffer
  out.bytes = std::move(data);
  return out;
}

Result<Dataset> LoadIdxPair(const std::string& images_path, const std::string& labels_path,
                            const std::vector<std::string>& class_names,
                            const std::string& dataset_name) {
  SL_ASSIGN_OR_RETURN(IdxArray images, ReadIdx(images_path, 3));
  SL_ASSIGN_OR_RETURN(IdxArray labels, ReadIdx(labels_path, 1));
  if (images.dims[0] != labels.dims[0]) {
    return InvalidArgument("image/label count mismatch: {} has {} images, {} has {} labels",
                           images_path, images.dims[0], labels_path, labels.dims[0]);
  }
  const int64_t n = images.dims[0];
  Dataset d;
  d.name = dataset_name;
  d.kind = SampleKind::kDense;
  d.sample_shape = {1, images.dims[1], images.dims[2]};
  d.class_names = class_names;
  d.labels.resize(n);
  const int64_t classes = static_cast<int64_t>(class_names.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = static_cast<unsigned char>(labels.bytes[i]);
    if (l >= classes) {
      return InvalidArgument("{}: label {} at byte offset {} (record {}) is out of range [0, {})",
                             labels_path, l, 8 + i, i, classes);
    }
    d.labels[i] = l;
  }
  // A lookup table keeps the byte → float conversion exact and identical everywhere.
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
  d.features.resize(images.bytes.size());
  const auto* px = reinterpret_cast<const unsigned char*>(images.bytes.data());
  for (size_t i = 0; i < images.bytes.size(); ++i) d.features[i] = scale[px[i]];
  return d;
}

}  // namespace sl::ml::data
