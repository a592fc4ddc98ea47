#include "ml/image_io.h"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/file_util.h"
#include "ml/image/decode_image.h"

namespace sl::ml {
namespace {

// The header's limit: checked before any pixel buffer is allocated, so that a few bytes of header
// cannot ask for terabytes (found by image_io_fuzz).
constexpr int64_t kMaxPixels = int64_t{1} << 24;

Result<Image> ReadPng(const std::string& path, const std::string& bytes) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) {
    return InvalidArgument("{}: not a readable PNG: {}", path, img.message);
  }
  if (static_cast<int64_t>(img.width) * img.height > kMaxPixels) {
    const auto w = img.width, h = img.height;
    png_image_free(&img);
    return InvalidArgument("{}: a {} x {} PNG is larger than the limit of {} pixels", path, w, h,
                           kMaxPixels);
  }
  const bool color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  img.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  std::vector<uint8_t> buf(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, buf.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    return InvalidArgument("{}: PNG decoding failed: {}", path, msg);
  }
  Image out;
  out.channels = color ? 3 : 1;
  out.height = img.height;
  out.width = img.width;
  out.pixels.resize(buf.size());
  const int64_t hw = out.height * out.width;
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t c = 0; c < out.channels; ++c) {
      out.pixels[c * hw + p] = buf[p * out.channels + c] / 255.0f;
    }
  }
  return out;
}

// Netpbm: magic, width, height, maxval (with # comments), then binary or ASCII pixels.
Result<Image> ReadNetpbm(const std::string& path, const std::string& bytes) {
  const char kind = bytes[1];
  const bool binary = kind == '5' || kind == '6';
  const int64_t channels = (kind == '3' || kind == '6') ? 3 : 1;
  size_t pos = 2;
  auto next_number = [&](const char* what) -> Result<int64_t> {
    while (pos < bytes.size()) {
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else if (std::isspace(static_cast<unsigned char>(bytes[pos]))) {
        ++pos;
      } else {
        break;
      }
    }
    if (pos >= bytes.size() || !std::isdigit(static_cast<unsigned char>(bytes[pos]))) {
      return InvalidArgument("{}: byte {}: expected the {} (a number)", path, pos, what);
    }
    int64_t v = 0;
    while (pos < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[pos]))) {
      v = v * 10 + (bytes[pos++] - '0');
      if (v > (1 << 20)) return InvalidArgument("{}: byte {}: {} is too large", path, pos, what);
    }
    return v;
  };
  Image out;
  out.channels = channels;
  SL_ASSIGN_OR_RETURN(out.width, next_number("width"));
  SL_ASSIGN_OR_RETURN(out.height, next_number("height"));
  SL_ASSIGN_OR_RETURN(int64_t maxval, next_number("maximum value"));
  if (out.width < 1 || out.height < 1 || maxval < 1 || maxval > 65535) {
    return InvalidArgument("{}: bad header (width {}, height {}, maxval {})", path, out.width,
                           out.height, maxval);
  }
  const int64_t hw = out.width * out.height, count = hw * channels;
  if (hw > kMaxPixels) {
    return InvalidArgument("{}: a {} x {} image is larger than the limit of {} pixels", path,
                           out.width, out.height, kMaxPixels);
  }
  // Every pixel takes at least one byte (binary) or one digit (ASCII): a file too short for its
  // header's size is refused before the buffers are allocated.
  const int64_t bps = binary && maxval > 255 ? 2 : 1;
  const size_t body_at = std::min(pos + (binary ? 1 : 0), bytes.size());
  if (static_cast<int64_t>(bytes.size() - body_at) < count * bps) {
    return InvalidArgument("{}: truncated: {} pixel bytes after byte {}, needs {}", path,
                           bytes.size() - body_at, body_at, count * bps);
  }
  out.pixels.resize(count);
  std::vector<float> interleaved(count);
  if (binary) {
    pos = body_at;  // after the single whitespace after maxval
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + pos);
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = bps == 2 ? (p[2 * i] << 8) | p[2 * i + 1] : p[i];
      // Values over maxval are clamped, as in the ASCII formats (else pixels exceed 1; found by
      // image_io_fuzz).
      interleaved[i] = static_cast<float>(std::min(v, maxval)) / maxval;
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      SL_ASSIGN_OR_RETURN(int64_t v, next_number("pixel value"));
      interleaved[i] = static_cast<float>(std::min(v, maxval)) / maxval;
    }
  }
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t c = 0; c < channels; ++c) out.pixels[c * hw + p] = interleaved[p * channels + c];
  }
  return out;
}

}  // namespace

Result<Image> ReadImage(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  static const char kPngMagic[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0) return ReadPng(path, bytes);
  if (bytes.size() >= 2 && bytes[0] == 'P' && std::strchr("2356", bytes[1]) && bytes[1] != '\0') {
    return ReadNetpbm(path, bytes);
  }
  if (image::IsJpeg(bytes)) {
    // Gray files stay gray, colour ones become RGB, at the file's own size.
    Result<image::JpegHeader> header = image::ReadJpegHeader(bytes);
    if (!header.ok()) return InvalidArgument("{}: {}", path, header.status().message());
    image::JpegDecodeOptions o;
    o.channels = header->components == 1 ? 1 : 3;
    o.max_pixels = kMaxPixels;
    Result<image::Pixels8> p = image::DecodeJpeg(bytes, o);
    if (!p.ok()) return InvalidArgument("{}: {}", path, p.status().message());
    image::PlanarImage planar = image::ToPlanar(*p);
    return Image{planar.channels, planar.height, planar.width, std::move(planar.pixels)};
  }
  return InvalidArgument("{}: not a PNG, JPEG or PGM/PPM image (unknown magic bytes)", path);
}

Result<Image> ConvertChannels(const Image& image, int64_t channels) {
  if (image.channels == channels) return image;
  const int64_t hw = image.height * image.width;
  Image out{channels, image.height, image.width, std::vector<float>(channels * hw)};
  if (image.channels == 1 && channels == 3) {
    for (int64_t c = 0; c < 3; ++c) std::copy_n(image.pixels.begin(), hw, out.pixels.begin() + c * hw);
  } else if (image.channels == 3 && channels == 1) {
    for (int64_t p = 0; p < hw; ++p) {
      out.pixels[p] = 0.299f * image.pixels[p] + 0.587f * image.pixels[hw + p] +
                      0.114f * image.pixels[2 * hw + p];
    }
  } else {
    return InvalidArgument("cannot convert a {}-channel image to {} channels", image.channels, channels);
  }
  return out;
}

Status WriteNetpbm(const std::string& path, const Image& image) {
  if (image.channels != 1 && image.channels != 3) {
    return InvalidArgument("{}: cannot write a {}-channel image", path, image.channels);
  }
  const int64_t hw = image.height * image.width;
  std::string out = fmt::format("P{}\n{} {}\n255\n", image.channels == 1 ? 5 : 6, image.width, image.height);
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t c = 0; c < image.channels; ++c) {
      float v = std::clamp(image.pixels[c * hw + p], 0.0f, 1.0f);
      out.push_back(static_cast<char>(static_cast<uint8_t>(std::lround(v * 255))));
    }
  }
  return WriteFileAtomic(path, out);
}

}  // namespace sl::ml
