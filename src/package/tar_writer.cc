#include "package/tar_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace sl::package {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxOctalSize = 077777777777ULL;  // 11 octal digits: 8 GiB - 1

// Writes `value` as zero-padded octal of width-1 digits followed by NUL.
void PutOctal(std::string& h, size_t offset, size_t width, uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(h.data() + offset, digits.data(), width - 1);
  h[offset + width - 1] = '\0';
}

void PutString(std::string& h, size_t offset, std::string_view s) {
  std::memcpy(h.data() + offset, s.data(), s.size());
}

// Splits `name` into ustar prefix (<= 155) and name (<= 100) at a '/', or returns false.
bool SplitUstar(std::string_view path, std::string_view* prefix, std::string_view* name) {
  if (path.size() <= 100) {
    *prefix = {};
    *name = path;
    return true;
  }
  for (size_t i = path.size() > 101 ? path.size() - 101 : 0; i < path.size() && i <= 155; ++i) {
    if (path[i] == '/' && path.size() - i - 1 <= 100 && path.size() - i - 1 > 0) {
      *prefix = path.substr(0, i);
      *name = path.substr(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string TarWriter::UstarHeader(std::string_view name, std::string_view prefix, uint32_t mode,
                                   uint64_t size, int64_t mtime, char typeflag,
                                   std::string_view link) {
  std::string h(kBlock, '\0');
  PutString(h, 0, name.substr(0, 100));
  PutOctal(h, 100, 8, mode & 07777);
  PutOctal(h, 108, 8, 0);  // uid
  PutOctal(h, 116, 8, 0);  // gid
  PutOctal(h, 124, 12, size);
  PutOctal(h, 136, 12, static_cast<uint64_t>(mtime));
  h[156] = typeflag;
  PutString(h, 157, link.substr(0, 100));
  PutString(h, 257, std::string_view("ustar\0", 6));
  PutString(h, 263, "00");
  // uname/gname empty (numeric owner); devmajor/devminor zero like GNU tar writes them.
  PutOctal(h, 329, 8, 0);
  PutOctal(h, 337, 8, 0);
  PutString(h, 345, prefix.substr(0, 155));
  // The checksum is computed with its own field as eight spaces, then written as six octal
  // digits, NUL, space.
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::string digits = fmt::format("{:06o}", sum);
  std::memcpy(h.data() + 148, digits.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

std::string TarWriter::PaxRecord(std::string_view key, std::string_view value) {
  // LEN includes its own digits: grow the guess until it is consistent.
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return fmt::format("{} {}={}\n", len, key, value);
}

Status TarWriter::Put(std::string_view data) {
  written_ += data.size();
  return out_->Write(data);
}

Status TarWriter::Pad(uint64_t size) {
  size_t rem = size % kBlock;
  if (rem == 0) return Status::Ok();
  static const char zeros[kBlock] = {};
  return Put(std::string_view(zeros, kBlock - rem));
}

Status TarWriter::AddEntryHeader(std::string_view path, uint32_t mode, uint64_t size,
                                 char typeflag, std::string_view link) {
  if (finished_) return FailedPrecondition("tar: {} added after Finish", path);
  if (path.empty() || path.front() == '/') {
    return InvalidArgument("tar: '{}' is not a relative archive path", path);
  }
  std::string_view prefix, name;
  std::string pax;
  if (!SplitUstar(path, &prefix, &name)) {
    pax += PaxRecord("path", path);
    prefix = {};
    name = path.substr(0, 100);
  }
  if (link.size() > 100) pax += PaxRecord("linkpath", link);
  if (size > kMaxOctalSize) pax += PaxRecord("size", std::to_string(size));
  if (!pax.empty()) {
    // A fixed pax header name keeps archives reproducible (GNU tar puts a pid in it).
    SL_RETURN_IF_ERROR(
        Put(UstarHeader("PaxHeader", {}, 0644, pax.size(), mtime_, 'x', {})));
    SL_RETURN_IF_ERROR(Put(pax));
    SL_RETURN_IF_ERROR(Pad(pax.size()));
  }
  return Put(UstarHeader(name, prefix, mode, size > kMaxOctalSize ? 0 : size, mtime_, typeflag,
                         link));
}

Status TarWriter::AddDirectory(std::string_view path, uint32_t mode) {
  std::string p(path);
  if (p.back() != '/') p += '/';
  return AddEntryHeader(p, mode, 0, '5', {});
}

Status TarWriter::AddFile(std::string_view path, std::string_view contents, uint32_t mode) {
  SL_RETURN_IF_ERROR(AddEntryHeader(path, mode, contents.size(), '0', {}));
  SL_RETURN_IF_ERROR(Put(contents));
  return Pad(contents.size());
}

Status TarWriter::AddFileFrom(std::string_view path, const std::string& source, uint32_t mode) {
  std::FILE* f = std::fopen(source.c_str(), "rb");
  if (f == nullptr) return ErrnoError(errno, source);
  struct stat st {};
  if (::fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    return InvalidArgument("{}: not a regular file", source);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Status s = AddEntryHeader(path, mode, size, '0', {});
  std::string buf(1 << 20, '\0');
  uint64_t done = 0;
  while (s.ok() && done < size) {
    size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n == 0) {
      s = std::ferror(f) ? ErrnoError(errno, source)
                         : DataLoss("{}: shrank from {} to {} bytes while archived", source, size,
                                    done);
      break;
    }
    if (done + n > size) n = size - done;  // grew: the header is written, keep its size
    s = Put(std::string_view(buf.data(), n));
    done += n;
  }
  std::fclose(f);
  SL_RETURN_IF_ERROR(s);
  return Pad(size);
}

Status TarWriter::AddSymlink(std::string_view path, std::string_view target) {
  return AddEntryHeader(path, 0777, 0, '2', target);
}

Status TarWriter::Finish() {
  if (finished_) return Status::Ok();
  finished_ = true;
  SL_RETURN_IF_ERROR(Put(std::string(2 * kBlock, '\0')));
  return out_->Finish();
}

}  // namespace sl::package
