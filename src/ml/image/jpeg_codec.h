// JPEG decoding and encoding through libjpeg-turbo (Debian's libjpeg62-turbo), torch-free, for
// request bodies (serve/v2), `straightline predict` files (ml/image_io) and image-folder
// datasets (ml/data/image_folder).
//
// Decoding is strict and bounded:
//  - libjpeg's fatal errors never reach exit(): an error manager longjmps back and the message
//    libjpeg formatted ("Not a JPEG file: starts with 0x89 0x50", "Premature end of JPEG file")
//    becomes INVALID_ARGUMENT "JPEG: ...".
//  - libjpeg's warnings (corrupt or truncated entropy data, which libjpeg would otherwise decode
//    into grey blocks) are errors too: a truncated upload is refused, not silently mispredicted.
//  - The header's width x height is checked against `max_pixels` before anything is decoded or
//    allocated (a 200-byte file may claim 65500 x 65500: a decompression bomb), progressive files
//    may have at most 500 scans (each scan re-runs over the whole coefficient buffer), and
//    libjpeg's own allocations are capped at 1 GiB.
//  - CMYK/YCCK files are refused by name (libjpeg cannot convert them to RGB).
// Thread safety: stateless; each call owns its libjpeg objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::image {

// 8-bit pixels, interleaved (HWC): data.size() == channels * height * width.
struct Pixels8 {
  int64_t channels = 0;  // 1 (gray) or 3 (RGB)
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> data;
};

inline constexpr int64_t kDefaultMaxPixels = int64_t{1} << 24;  // e.g. 4096 x 4096

// The JPEG start-of-image marker followed by any marker (FF D8 FF).
bool IsJpeg(std::string_view bytes);

struct JpegDecodeOptions {
  int64_t channels = 3;         // 1: gray (libjpeg's luma, BT.601), 3: RGB
  int64_t max_pixels = kDefaultMaxPixels;  // header width x height above this: refused
  // > 0: the caller will shrink the image to at least this size, so libjpeg may decode at
  // 1/2, 1/4 or 1/8 scale (DCT scaling: far less work for a photo going to 224 x 224) as long
  // as the result is still >= min_height x min_width. 0: full size.
  int64_t min_height = 0;
  int64_t min_width = 0;
};

// INVALID_ARGUMENT "JPEG: <what>" for anything but a decodable baseline/progressive JPEG within
// the limits; never throws, never exits.
Result<Pixels8> DecodeJpeg(std::string_view bytes, const JpegDecodeOptions& options = {});

// The header's size without decoding (for errors and checks). INVALID_ARGUMENT as above.
struct JpegHeader {
  int64_t height = 0, width = 0, components = 0;
  bool progressive = false;
};
Result<JpegHeader> ReadJpegHeader(std::string_view bytes);

// Encodes gray or RGB pixels as a baseline (or, with `progressive`, a progressive) JPEG at
// `quality` (1..100), 4:2:0 chroma subsampling (libjpeg's default). For tests, fuzz seeds and
// tools that write image-folder datasets. INVALID_ARGUMENT for a bad shape or quality.
Result<std::string> EncodeJpeg(const Pixels8& pixels, int quality = 90, bool progressive = false);

}  // namespace sl::image
