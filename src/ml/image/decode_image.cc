#include "ml/image/decode_image.h"

#include <png.h>

#include <algorithm>
#include <cstring>

#include "ml/image/resize.h"

namespace sl::image {
namespace {

Result<Pixels8> DecodePng8(std::string_view bytes, int64_t channels, int64_t max_pixels) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) {
    std::string msg = img.message;
    png_image_free(&img);
    return InvalidArgument("PNG: cannot read header: {}", msg);
  }
  if (static_cast<int64_t>(img.width) * img.height > max_pixels) {
    const auto w = img.width, h = img.height;
    png_image_free(&img);
    return InvalidArgument("PNG: a {} x {} (W x H) image is larger than the limit of {} pixels", w,
                           h, max_pixels);
  }
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  Pixels8 out;
  out.channels = channels;
  out.height = img.height;
  out.width = img.width;
  out.data.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.data.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    return InvalidArgument("PNG: cannot decode: {}", msg);
  }
  png_image_free(&img);
  return out;
}

}  // namespace

ImageFormat SniffImageFormat(std::string_view b) {
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() >= 8 && std::memcmp(b.data(), kPng, 8) == 0) return ImageFormat::kPng;
  if (IsJpeg(b)) return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

const char* ImageFormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

PlanarImage ToPlanar(const Pixels8& p) {
  PlanarImage out{p.channels, p.height, p.width, {}};
  const int64_t hw = p.height * p.width;
  out.pixels.resize(static_cast<size_t>(p.channels * hw));
  for (int64_t i = 0; i < hw; ++i) {
    for (int64_t c = 0; c < p.channels; ++c) {
      out.pixels[c * hw + i] = static_cast<float>(p.data[i * p.channels + c]) / 255.0f;
    }
  }
  return out;
}

Result<PlanarImage> DecodeForModel(std::string_view bytes, const DecodeForModelOptions& o) {
  if (o.channels != 1 && o.channels != 3) {
    return InvalidArgument("the model takes {} channels (1 or 3 supported for images)", o.channels);
  }
  if ((o.height > 0) != (o.width > 0) || o.height < 0 || o.width < 0) {
    return InvalidArgument("resize target {} x {} (H x W): give both sides or neither", o.height,
                           o.width);
  }
  Pixels8 decoded;
  switch (SniffImageFormat(bytes)) {
    case ImageFormat::kPng: {
      SL_ASSIGN_OR_RETURN(decoded, DecodePng8(bytes, o.channels, o.max_pixels));
      break;
    }
    case ImageFormat::kJpeg: {
      JpegDecodeOptions j;
      j.channels = o.channels;
      j.max_pixels = o.max_pixels;
      j.min_height = o.height;
      j.min_width = o.width;
      SL_ASSIGN_OR_RETURN(decoded, DecodeJpeg(bytes, j));
      break;
    }
    case ImageFormat::kUnknown: {
      std::string head;
      for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i) {
        head += fmt::format("{}{:02x}", i ? " " : "", static_cast<unsigned char>(bytes[i]));
      }
      return InvalidArgument("not a PNG or JPEG image (first bytes: {})",
                             bytes.empty() ? "none, the body is empty" : head);
    }
  }
  PlanarImage img = ToPlanar(decoded);
  if (o.height > 0 && (img.height != o.height || img.width != o.width)) {
    img.pixels = ResizeBilinear(img.pixels, img.channels, img.height, img.width, o.height, o.width);
    img.height = o.height;
    img.width = o.width;
    // A convex combination of values in [0, 1] can leave it by a rounding error.
    for (float& v : img.pixels) v = std::clamp(v, 0.0f, 1.0f);
  }
  return img;
}

}  // namespace sl::image
