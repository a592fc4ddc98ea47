// Image-folder datasets, the torchvision ImageFolder convention: ROOT/<class>/<image>, one
// subfolder per class, classes = the subfolder names sorted (byte order), label = the index in
// that order; images are the .jpg/.jpeg/.png files (any case) in each subfolder, sorted, read in
// that order; other files and hidden entries (".*") are skipped, as is anything nested deeper.
// Every image is decoded (ml/image/decode_image.h: PNG or JPEG by signature, whatever the
// extension), converted to `channels` and resized to height x width (bilinear, antialiased when
// shrinking), pixels in [0, 1].
//
// Failure contract: NOT_FOUND for a missing ROOT; INVALID_ARGUMENT for a ROOT without class
// subfolders, a class without images ("class 'x' (ROOT/x) has no .jpg/.jpeg/.png files"), a
// dataset whose decoded features would exceed max_feature_bytes (checked from the file count
// before decoding: 10,000 RGB images at 224 x 224 are 6 GB of floats), or any image that does not
// decode ("ROOT/x/a.jpg: JPEG: Premature end of JPEG file").
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

struct ImageFolderOptions {
  int64_t channels = 3;
  int64_t height = 224;
  int64_t width = 224;
  int64_t max_feature_bytes = int64_t{8} << 30;
};

struct ImageFolder {
  Dataset data;                    // kDense, sample_shape {channels, height, width}
  std::vector<std::string> files;  // per sample, relative to ROOT ("<class>/<file>")
};

Result<ImageFolder> LoadImageFolder(const std::string& root, const ImageFolderOptions& options,
                                    const std::string& name = "imagefolder");

}  // namespace sl::ml::data
