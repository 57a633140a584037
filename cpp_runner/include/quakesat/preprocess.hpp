// The shared preprocessing (runtime/preprocess.py), both versions:
//  - version 2 (float32, the default): no-data mask, multilook (each block's columns summed
//    down, then across), floor, fast log2 (exponent + degree-5 polynomial), normalise, clip,
//    no-data -> 0; every step the same IEEE float operation as numpy's, so the outputs agree
//    bit for bit. The input checks' statistics are gathered in the same pass over the pixels.
//  - version 1 (double, cast to float once): kept so that models exported with it still run.
// Writes channels-first output into a caller's buffer; the scratch version allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quakesat {

constexpr int kBands = 2;  // VV, VH
constexpr int kPreprocessVersion = 2;      // what new models are exported with
constexpr int kMinPreprocessVersion = 1;   // the oldest version still run
constexpr double kDbPerLog2 = 3.0102999566398120;  // 10 log10(2)
// log2(1 + t) ~ t (c1 + t (c2 + t (c3 + t (c4 + t c5)))), t in [0, 1): runtime/preprocess.py.
constexpr float kLog2Coefficients[5] = {1.44196546f, -0.709661722f, 0.417592436f, -0.196265593f, 0.0463836789f};

struct PreprocessConfig {
  int version = kPreprocessVersion;
  bool units_db = false;
  double floor_linear = 1e-4;
  double clip_db[2] = {-35.0, 10.0};
  double mean_db[2] = {-12.0, -19.0};
  double std_db[2] = {5.0, 5.0};
  int downsample = 1;
};

// What the input checks need from one image, over all its values (validate.hpp judges it),
// per band (VV, VH) where the rules are per band.
struct ImageScan {
  std::size_t values = 0;                 // H x W x 2
  std::size_t band_valid[2] = {0, 0};     // finite values (an Inf is not, and shows in low/high instead)
  std::size_t band_clipped[2] = {0, 0};   // beyond the clip range, in the input's units
  // Disjoint pairs of one band's values that differ, neither NaN: horizontally adjacent pixels
  // (columns 2j, 2j + 1) in the fused pass, consecutive pixels in storage order in scan_image
  // (the last pixel of an odd count unpaired). Without Inf (an Inf is NON_FINITE before this
  // counts) both are valid, and no value holds more than band_valid - band_differ of the band's
  // pixels (the fill rule's certificate, validate.cpp).
  std::size_t band_differ[2] = {0, 0};
  float low = 0.0f, high = 0.0f;  // smallest and largest non-NaN value (+inf and -inf when none)
  float band_low[2] = {0.0f, 0.0f}, band_high[2] = {0.0f, 0.0f};  // the same per band (VV, VH)
};

// The clip range in the input's units, as float (the double rounded to nearest, as numpy does).
void clip_thresholds(const PreprocessConfig& config, float& low, float& high);

// Version 2's log2 of a positive normal float (the same bits as runtime/preprocess.py fast_log2).
float fast_log2(float y);

// The scan alone, over `values` floats (the input checks of a tile that is not preprocessed).
ImageScan scan_image(const float* image, std::size_t values, const PreprocessConfig& config);

// Floats of scratch preprocess_image needs for an image `width` pixels wide.
std::size_t preprocess_scratch_floats(int width, const PreprocessConfig& config);

// One H x W x 2 image -> 2 x H/k x W/k floats at `out` (H and W multiples of k), and its scan.
// `out` may be null (the scan alone). `scratch` holds preprocess_scratch_floats(width) floats.
// Version 1 gathers no scan when it writes `out` (its checks ran before, by scan_image): the
// returned scan is then empty.
ImageScan preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out,
                           float* scratch);
// The same with scratch of its own (allocates: tests and tools, not the per-tile path).
ImageScan preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out);

// A pair -> 4 x H/k x W/k: first image's VV, VH, then the second's.
void preprocess_pair(const float* first, const float* second, int height, int width,
                     const PreprocessConfig& config, float* out);

}  // namespace quakesat
