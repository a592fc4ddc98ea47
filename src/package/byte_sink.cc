#include "package/byte_sink.h"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

#include <zlib.h>

namespace sl::package {

Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return ErrnoError(errno, path);
  return std::unique_ptr<FileSink>(new FileSink(path, f));
}

FileSink::~FileSink() {
  if (f_ != nullptr) std::fclose(f_);
}

Status FileSink::Write(std::string_view data) {
  if (f_ == nullptr) return FailedPrecondition("{}: written after Finish", path_);
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f_) != data.size()) {
    return ErrnoError(errno, fmt::format("{}: write", path_));
  }
  return Status::Ok();
}

Status FileSink::Finish() {
  if (f_ == nullptr) return Status::Ok();
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fflush(f) != 0 || ::fsync(fileno(f)) != 0) {
    int err = errno;
    std::fclose(f);
    return ErrnoError(err, fmt::format("{}: flush", path_));
  }
  if (std::fclose(f) != 0) return ErrnoError(errno, fmt::format("{}: close", path_));
  return Status::Ok();
}

Status HashingSink::Write(std::string_view data) {
  hasher_.Update(data);
  size_ += data.size();
  return next_ != nullptr ? next_->Write(data) : Status::Ok();
}

Status HashingSink::Finish() {
  hex_ = hasher_.FinishHex();
  return next_ != nullptr ? next_->Finish() : Status::Ok();
}

struct GzipSink::Impl {
  z_stream z{};
  bool open = false;
  std::string out = std::string(1 << 20, '\0');
};

GzipSink::GzipSink(ByteSink* next) : next_(next), impl_(std::make_unique<Impl>()) {}

GzipSink::~GzipSink() {
  if (impl_->open) deflateEnd(&impl_->z);
}

Result<std::unique_ptr<GzipSink>> GzipSink::Create(ByteSink* next, int level) {
  if (level < 1 || level > 9) return InvalidArgument("gzip level {} is not in 1..9", level);
  std::unique_ptr<GzipSink> s(new GzipSink(next));
  // windowBits 15 + 16: a gzip wrapper with zlib's default header (mtime 0, no name).
  if (deflateInit2(&s->impl_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("zlib deflateInit2 failed");
  }
  s->impl_->open = true;
  return s;
}

Status GzipSink::Deflate(std::string_view data, int flush) {
  z_stream& z = impl_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(impl_->out.data());
    z.avail_out = static_cast<uInt>(impl_->out.size());
    rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) return Internal("zlib deflate failed");
    size_t n = impl_->out.size() - z.avail_out;
    if (n > 0) SL_RETURN_IF_ERROR(next_->Write(std::string_view(impl_->out.data(), n)));
  } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  return Status::Ok();
}

Status GzipSink::Write(std::string_view data) {
  if (!impl_->open) return FailedPrecondition("gzip stream written after Finish");
  // zlib counts in uInt; feed large buffers in slices.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), 1u << 30);
    SL_RETURN_IF_ERROR(Deflate(data.substr(0, n), Z_NO_FLUSH));
    data.remove_prefix(n);
  }
  return Status::Ok();
}

Status GzipSink::Finish() {
  if (!impl_->open) return Status::Ok();
  SL_RETURN_IF_ERROR(Deflate({}, Z_FINISH));
  deflateEnd(&impl_->z);
  impl_->open = false;
  return next_->Finish();
}

}  // namespace sl::package
