// The shared preprocessing (runtime/preprocess.py, version 1), step for step in double and
// cast to float once: no-data mask, multilook (row-major block sums of the finite linear
// values), linear -> dB with a floor, no-data -> the band mean, clip, normalise. Writes
// channels-first output into a caller's buffer; allocates nothing.
#pragma once

#include <cstddef>

namespace quakesat {

constexpr int kBands = 2;  // VV, VH

struct PreprocessConfig {
  bool units_db = false;
  double floor_linear = 1e-4;
  double clip_db[2] = {-35.0, 10.0};
  double mean_db[2] = {-12.0, -19.0};
  double std_db[2] = {5.0, 5.0};
  int downsample = 1;
};

// One H x W x 2 image -> 2 x H/k x W/k floats at `out` (H and W multiples of k).
void preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out);

// A pair -> 4 x H/k x W/k: first image's VV, VH, then the second's.
void preprocess_pair(const float* first, const float* second, int height, int width,
                     const PreprocessConfig& config, float* out);

}  // namespace quakesat
