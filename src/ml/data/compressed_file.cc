#include "ml/data/compressed_file.h"

#include <zlib.h>

#include <cstring>

#include <fmt/ranges.h>

#include "common/file_util.h"

namespace sl::ml::data {
namespace {

bool IsGzip(std::string_view s) { return s.starts_with("\x1f\x8b"); }

Result<std::string> Gunzip(const std::string& path, const std::string& in) {
  std::string out;
  // ISIZE (last 4 bytes, little-endian) is the uncompressed size mod 2^32 of the last member:
  // a good reservation hint for the single-member files we read, never trusted for correctness.
  if (in.size() >= 18) {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    uint32_t isize = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    if (isize < (1u << 31)) out.reserve(isize);
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Internal("{}: inflateInit2 failed", path);
  }
  size_t in_off = 0;
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    if (zs.avail_in == 0 && in_off < in.size()) {
      size_t chunk = std::min<size_t>(in.size() - in_off, 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_off));
      zs.avail_in = static_cast<uInt>(chunk);
      in_off += chunk;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (concatenated .gz files).
      size_t consumed = in_off - zs.avail_in;
      if (consumed >= in.size()) break;
      if (in.size() - consumed < 2 || static_cast<unsigned char>(in[consumed]) != 0x1f ||
          static_cast<unsigned char>(in[consumed + 1]) != 0x8b) {
        inflateEnd(&zs);
        return DataLoss("{}: corrupt gzip at compressed byte {}: trailing garbage after the gzip "
                        "stream", path, consumed);
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_off >= in.size()) {
      size_t consumed = in_off - zs.avail_in;
      inflateEnd(&zs);
      return DataLoss("{}: corrupt gzip at compressed byte {}: unexpected end of stream "
                      "(truncated file)", path, consumed);
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      size_t consumed = in_off - zs.avail_in;
      std::string msg = zs.msg ? zs.msg : zError(rc);
      inflateEnd(&zs);
      return DataLoss("{}: corrupt gzip at compressed byte {}: {}", path, consumed, msg);
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

Result<std::string> ReadMaybeGzipFile(const std::string& path) {
  Result<std::string> raw = ReadFileToString(path);
  if (!raw.ok() || !IsGzip(*raw)) return raw;
  return Gunzip(path, *raw);
}

Result<std::string> FirstExisting(const std::vector<std::string>& candidates,
                                  std::string_view what) {
  for (const auto& c : candidates) {
    if (PathExists(c)) return c;
  }
  return NotFound("{}: none of these files exists: {}", what, fmt::join(candidates, ", "));
}

}  // namespace sl::ml::data
