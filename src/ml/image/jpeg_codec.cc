#include "ml/image/jpeg_codec.h"

// jpeglib.h uses FILE and size_t without including their headers.
#include <cstdio>
#include <cstdlib>
#include <csetjmp>
#include <cstring>

#include <jpeglib.h>

namespace sl::image {
namespace {

// Progressive files re-scan the whole coefficient buffer per scan; libjpeg-turbo's own fuzzers
// and TurboJPEG's TJFLAG_LIMITSCANS stop at 500 (a few hundred bytes can hold thousands of scans).
constexpr int kMaxScans = 500;
constexpr long kMaxLibjpegMemory = 1L << 30;

// The error manager: libjpeg calls error_exit on fatal errors (its default calls exit()), and
// emit_message(-1) on warnings. Both jump back to the setjmp in the function that owns the
// libjpeg object. Everything the jump crosses is libjpeg's C code or these trivial callbacks;
// the frames holding setjmp keep only trivially destructible locals, and write results through
// pointers into their callers' frames (whose objects' state is then never indeterminate).
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnError(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void OnMessage(j_common_ptr cinfo, int level) {
  if (level < 0) OnError(cinfo);  // a warning: corrupt data, which we refuse (see the header)
  // level >= 0: trace messages, never printed
}

void OnOutput(j_common_ptr) {}  // libjpeg never writes to stderr

struct ScanLimit {
  jpeg_progress_mgr pub;
  ErrorManager* err;
};

void OnProgress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* p = reinterpret_cast<ScanLimit*>(cinfo->progress);
    std::snprintf(p->err->message, sizeof p->err->message,
                  "progressive JPEG with more than %d scans", kMaxScans);
    std::longjmp(p->err->jump, 1);
  }
}

void InstallErrorManager(j_common_ptr cinfo, ErrorManager* err) {
  cinfo->err = jpeg_std_error(&err->pub);
  err->pub.error_exit = OnError;
  err->pub.emit_message = OnMessage;
  err->pub.output_message = OnOutput;
  err->message[0] = '\0';
}

// Returns true on success; false with err->message set. header_only: stop after the header.
bool DecodeWithLibjpeg(std::string_view bytes, const JpegDecodeOptions& o, bool header_only,
                       ErrorManager* err, JpegHeader* header, Pixels8* out) {
  jpeg_decompress_struct cinfo;
  ScanLimit scans;
  InstallErrorManager(reinterpret_cast<j_common_ptr>(&cinfo), err);
  scans.pub.progress_monitor = OnProgress;
  scans.err = err;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = kMaxLibjpegMemory;
  cinfo.progress = &scans.pub;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  header->height = cinfo.image_height;
  header->width = cinfo.image_width;
  header->components = cinfo.num_components;
  header->progressive = jpeg_has_multiple_scans(&cinfo);
  if (header_only) {
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  // The decompression-bomb check, before any pixel or coefficient buffer exists.
  if (header->height * header->width > o.max_pixels) {
    std::snprintf(err->message, sizeof err->message,
                  "a %lld x %lld (W x H) image is larger than the limit of %lld pixels",
                  static_cast<long long>(header->width), static_cast<long long>(header->height),
                  static_cast<long long>(o.max_pixels));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(err->message, sizeof err->message,
                  "CMYK/YCCK JPEGs are not supported (gray or YCbCr/RGB only)");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = o.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  if (o.min_height > 0 && o.min_width > 0) {
    for (unsigned denom : {8u, 4u, 2u}) {
      if ((header->height + denom - 1) / denom >= o.min_height &&
          (header->width + denom - 1) / denom >= o.min_width) {
        cinfo.scale_num = 1;
        cinfo.scale_denom = denom;
        break;
      }
    }
  }
  jpeg_start_decompress(&cinfo);
  out->channels = o.channels;
  out->height = cinfo.output_height;
  out->width = cinfo.output_width;
  const size_t stride = static_cast<size_t>(cinfo.output_width) * cinfo.output_components;
  out->data.resize(stride * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->data.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);  // reads to the EOI marker: a truncated file warns here
  jpeg_destroy_decompress(&cinfo);
  return true;
}

struct EncodeOutput {
  unsigned char* buf = nullptr;
  unsigned long size = 0;
};

bool EncodeWithLibjpeg(const Pixels8& p, int quality, bool progressive, ErrorManager* err,
                       EncodeOutput* out) {
  jpeg_compress_struct cinfo;
  InstallErrorManager(reinterpret_cast<j_common_ptr>(&cinfo), err);
  if (setjmp(err->jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &out->buf, &out->size);
  cinfo.image_width = static_cast<JDIMENSION>(p.width);
  cinfo.image_height = static_cast<JDIMENSION>(p.height);
  cinfo.input_components = static_cast<int>(p.channels);
  cinfo.in_color_space = p.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = static_cast<size_t>(p.width * p.channels);
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg's API takes non-const rows but does not write to them.
    JSAMPROW row = const_cast<unsigned char*>(p.data.data()) + stride * cinfo.next_scanline;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

}  // namespace

bool IsJpeg(std::string_view b) {
  return b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF &&
         static_cast<unsigned char>(b[1]) == 0xD8 && static_cast<unsigned char>(b[2]) == 0xFF;
}

Result<JpegHeader> ReadJpegHeader(std::string_view bytes) {
  if (!IsJpeg(bytes)) {
    return InvalidArgument("JPEG: not a JPEG file (it does not start with the marker FF D8 FF)");
  }
  ErrorManager err;
  JpegHeader header;
  Pixels8 unused;
  if (!DecodeWithLibjpeg(bytes, JpegDecodeOptions{}, true, &err, &header, &unused)) {
    return InvalidArgument("JPEG: {}", err.message);
  }
  return header;
}

Result<Pixels8> DecodeJpeg(std::string_view bytes, const JpegDecodeOptions& options) {
  if (options.channels != 1 && options.channels != 3) {
    return InvalidArgument("JPEG: {} channels requested (1 or 3 supported)", options.channels);
  }
  if (!IsJpeg(bytes)) {
    return InvalidArgument("JPEG: not a JPEG file (it does not start with the marker FF D8 FF)");
  }
  ErrorManager err;
  JpegHeader header;
  Pixels8 out;
  if (!DecodeWithLibjpeg(bytes, options, false, &err, &header, &out)) {
    return InvalidArgument("JPEG: {}", err.message);
  }
  return out;
}

Result<std::string> EncodeJpeg(const Pixels8& p, int quality, bool progressive) {
  if (p.channels != 1 && p.channels != 3) {
    return InvalidArgument("JPEG encode: {} channels (1 or 3 supported)", p.channels);
  }
  if (p.height < 1 || p.width < 1 || p.height > 65500 || p.width > 65500) {
    return InvalidArgument("JPEG encode: {} x {} (W x H) is outside 1..65500 a side", p.width,
                           p.height);
  }
  if (p.data.size() != static_cast<size_t>(p.channels * p.height * p.width)) {
    return InvalidArgument("JPEG encode: {} bytes for {} x {} x {}", p.data.size(), p.width,
                           p.height, p.channels);
  }
  if (quality < 1 || quality > 100) return InvalidArgument("JPEG encode: quality {} not in 1..100", quality);
  ErrorManager err;
  EncodeOutput out;
  const bool ok = EncodeWithLibjpeg(p, quality, progressive, &err, &out);
  std::string bytes;
  if (ok) bytes.assign(reinterpret_cast<const char*>(out.buf), out.size);
  std::free(out.buf);  // allocated by jpeg_mem_dest (malloc), also after a failure
  if (!ok) return Internal("JPEG encode: {}", err.message);
  return bytes;
}

}  // namespace sl::image
