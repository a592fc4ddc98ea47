// Test helpers (tests only): write small files in the exact on-disk formats the loaders read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sl::ml::data::testing {

// Writes `bytes` to `path` (creating parent directories); aborts the test on failure.
void WriteBytes(const std::string& path, const std::string& bytes);
// gzip-compressed `bytes` (a single gzip member, as gzip(1) writes).
std::string Gzip(const std::string& bytes);

// IDX images: magic 0x00000803, n, rows, cols, then pixel(i, r, c) for every image.
std::string IdxImages(int n, int rows, int cols);
// Pixel value the generator above writes: deterministic, depends on all three indices.
uint8_t IdxPixel(int i, int r, int c);
// IDX labels: magic 0x00000801, n, then the labels.
std::string IdxLabels(const std::vector<uint8_t>& labels);

// One CIFAR-10 record: label byte + 3072 pixels (R plane, G plane, B plane; pixel = f(i, k)).
std::string CifarRecord(uint8_t label, int seed);

}  // namespace sl::ml::data::testing
