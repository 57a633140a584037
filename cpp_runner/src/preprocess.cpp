// Preprocessing, mirroring runtime/preprocess.py operation for operation (see its module doc).
#include "quakesat/preprocess.hpp"

#include "vector4.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace quakesat {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Version 1: double arithmetic, cast once; the statistics are not gathered here.
void preprocess_v1(const float* image, int height, int width, const PreprocessConfig& config, float* out) {
  const int k = config.downsample;
  const int out_h = height / k, out_w = width / k;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int band = 0; band < kBands; ++band) {
    const double mean = config.mean_db[band], std_db = config.std_db[band];
    float* plane = out + static_cast<std::size_t>(band) * out_h * out_w;
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        double db;
        if (config.units_db && k == 1) {
          const double v = image[(static_cast<std::size_t>(y) * width + x) * kBands + band];
          db = std::isfinite(v) ? v : nan;
        } else {
          double total = 0.0;
          long count = 0;
          for (int row = 0; row < k; ++row) {  // row-major block sum, as numpy's strided views
            for (int col = 0; col < k; ++col) {
              const double raw = image[(static_cast<std::size_t>(y * k + row) * width + (x * k + col)) * kBands + band];
              double v = std::isfinite(raw) ? raw : nan;
              if (config.units_db) v = std::pow(10.0, v / 10.0);
              if (std::isfinite(v)) {
                total += v;
                ++count;
              } else {
                total += 0.0;
              }
            }
          }
          const double linear = count > 0 ? total / static_cast<double>(count) : nan;
          db = std::isnan(linear) ? nan : 10.0 * std::log10(std::max(linear, config.floor_linear));
        }
        if (std::isnan(db)) db = mean;
        db = std::min(std::max(db, config.clip_db[0]), config.clip_db[1]);
        plane[static_cast<std::size_t>(y) * out_w + x] = static_cast<float>((db - mean) / std_db);
      }
    }
  }
}

// Four-float vectors (vector4.hpp): SSE2 on x86-64, NEON on aarch64, bit-identical lanes.
using namespace vector4;

// One row of input values into the scan's statistics and, with kSums, into the column sums
// (first row of a block: assign; later rows: add). No-data adds 0 to a sum; whether the row
// was all finite is returned, so that counts are needed only for rows with no-data.
// Rows start on a VV value, so lanes 0 and 2 hold VV, lanes 1 and 3 VH: each lane's range
// starts from its own band's, and a load [VV 2j, VH 2j, VV 2j+1, VH 2j+1] holds one pair of
// adjacent pixels per band (lanes 0/2 and 1/3), counted in lanes 0 and 1.
template <bool kSums>
bool scan_row(const float* row, std::size_t n, bool first, float clip_low, float clip_high, float* sums,
              ImageScan& scan) {
  F4 lo = {scan.band_low[0], scan.band_low[1], scan.band_low[0], scan.band_low[1]};
  F4 hi = {scan.band_high[0], scan.band_high[1], scan.band_high[0], scan.band_high[1]};
  I4 finite_count = {0, 0, 0, 0}, clipped = {0, 0, 0, 0}, differ = {0, 0, 0, 0}, all_finite = {-1, -1, -1, -1};
  const F4 cl = {clip_low, clip_low, clip_low, clip_low}, ch = {clip_high, clip_high, clip_high, clip_high};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const F4 v = load4(row + i);
    lo = v < lo ? v : lo;  // NaN compares false: it never becomes the minimum
    hi = v > hi ? v : hi;
    const I4 finite = (v - v) == 0.0f;  // false for NaN (signalling too) and +-Inf
    finite_count -= finite;              // a true lane is -1
    clipped -= (v < cl) | (v > ch);
    all_finite &= finite;
    const F4 partner = __builtin_shufflevector(v, v, 2, 3, 0, 1);  // lanes 2, 3 mirror 0, 1: only 0, 1 are read
    differ -= (v < partner) | (v > partner);  // differ, neither NaN (false for NaN; +0 == -0)
    if (kSums) {
      const F4 kept = as_float(as_bits(v) & finite);
      store4(sums + i, first ? kept : load4(sums + i) + kept);
    }
  }
  bool row_finite = (all_finite[0] & all_finite[1] & all_finite[2] & all_finite[3]) != 0;
  float band_low[2] = {scan.band_low[0], scan.band_low[1]}, band_high[2] = {scan.band_high[0], scan.band_high[1]};
  std::size_t valid[2] = {0, 0}, clips[2] = {0, 0};
  for (int j = 0; j < 4; ++j) {
    band_low[j & 1] = lo[j] < band_low[j & 1] ? lo[j] : band_low[j & 1];
    band_high[j & 1] = hi[j] > band_high[j & 1] ? hi[j] : band_high[j & 1];
    valid[j & 1] += static_cast<std::size_t>(finite_count[j]);
    clips[j & 1] += static_cast<std::size_t>(clipped[j]);
  }
  for (; i < n; ++i) {  // the tail (rows are a multiple of 4 values for even widths): unpaired
    const float v = row[i];
    band_low[i & 1] = v < band_low[i & 1] ? v : band_low[i & 1];
    band_high[i & 1] = v > band_high[i & 1] ? v : band_high[i & 1];
    const bool finite = (v - v) == 0.0f;
    valid[i & 1] += finite;
    clips[i & 1] += (v < clip_low) | (v > clip_high);
    row_finite &= finite;
    if (kSums) sums[i] = first ? (finite ? v : 0.0f) : sums[i] + (finite ? v : 0.0f);
  }
  for (int b = 0; b < 2; ++b) {
    scan.band_low[b] = band_low[b];
    scan.band_high[b] = band_high[b];
    scan.band_valid[b] += valid[b];
    scan.band_clipped[b] += clips[b];
    scan.band_differ[b] += static_cast<std::size_t>(differ[b]);
  }
  scan.low = band_low[0] < band_low[1] ? band_low[0] : band_low[1];
  scan.high = band_high[0] > band_high[1] ? band_high[0] : band_high[1];
  return row_finite;
}

// The count of finite values per column of a block of k rows (only for blocks with no-data).
void count_rows(const float* block, std::size_t row_values, int k, float* counts) {
  for (std::size_t i = 0; i < row_values; ++i) counts[i] = 0.0f;
  for (int r = 0; r < k; ++r) {
    const float* row = block + static_cast<std::size_t>(r) * row_values;
    for (std::size_t i = 0; i < row_values; ++i) counts[i] = counts[i] + (((row[i] - row[i]) == 0.0f) ? 1.0f : 0.0f);
  }
}

inline float log2_approx(float value) {
  std::int32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const float exponent = static_cast<float>((bits >> 23) - 127);
  const std::int32_t mantissa_bits = (bits & 0x007FFFFF) | 0x3F800000;
  float t;
  std::memcpy(&t, &mantissa_bits, sizeof t);
  t = t - 1.0f;
  float p = t * kLog2Coefficients[4];
  p = p + kLog2Coefficients[3];
  p = p * t;
  p = p + kLog2Coefficients[2];
  p = p * t;
  p = p + kLog2Coefficients[1];
  p = p * t;
  p = p + kLog2Coefficients[0];
  p = p * t;
  return p + exponent;
}

// Steps 3-6 on one band's row of block values (`count` finite values each).
void finish_row(const float* level, const float* count, int n, bool units_db, float floor, float scale, float offset,
                float low, float high, float* out) {
  for (int x = 0; x < n; ++x) {
    float value = level[x] / count[x];
    if (!units_db) {
      value = value < floor ? floor : value;  // np.maximum: NaN stays NaN (empty blocks only)
      value = log2_approx(value);
    }
    float z = value * scale;
    z = z + offset;
    z = z < low ? low : z;
    z = z > high ? high : z;
    out[x] = count[x] > 0.0f ? z : 0.0f;
  }
}

}  // namespace

void clip_thresholds(const PreprocessConfig& config, float& low, float& high) {
  low = static_cast<float>(config.units_db ? config.clip_db[0] : std::pow(10.0, config.clip_db[0] / 10.0));
  high = static_cast<float>(config.units_db ? config.clip_db[1] : std::pow(10.0, config.clip_db[1] / 10.0));
}

float fast_log2(float y) { return log2_approx(y); }

ImageScan scan_image(const float* image, std::size_t values, const PreprocessConfig& config) {
  float clip_low, clip_high;
  clip_thresholds(config, clip_low, clip_high);
  ImageScan scan;
  scan.values = values;
  scan.low = scan.band_low[0] = scan.band_low[1] = kInf;
  scan.high = scan.band_high[0] = scan.band_high[1] = -kInf;
  scan_row<false>(image, values, true, clip_low, clip_high, nullptr, scan);
  return scan;
}

std::size_t preprocess_scratch_floats(int width, const PreprocessConfig& config) {
  const std::size_t row = static_cast<std::size_t>(width) * kBands;
  const std::size_t out_w = static_cast<std::size_t>(width / std::max(config.downsample, 1));
  return 2 * row + 2 * kBands * out_w;
}

ImageScan preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out,
                           float* scratch) {
  if (config.version < 2) {  // version 1: the scan alone, or its own double pass alone
    if (out == nullptr) return scan_image(image, static_cast<std::size_t>(height) * width * kBands, config);
    preprocess_v1(image, height, width, config, out);
    return ImageScan{};
  }
  const int k = config.downsample;
  const int out_h = height / k, out_w = width / k;
  const std::size_t row_values = static_cast<std::size_t>(width) * kBands;
  const std::size_t plane = static_cast<std::size_t>(out_h) * out_w;
  ImageScan scan;
  scan.values = row_values * height;
  float clip_low, clip_high;
  clip_thresholds(config, clip_low, clip_high);
  scan.low = scan.band_low[0] = scan.band_low[1] = kInf;
  scan.high = scan.band_high[0] = scan.band_high[1] = -kInf;
  float* sums = scratch;
  float* counts = sums + row_values;
  float* level = counts + row_values;  // [band][x], then the counts likewise
  float* level_count = level + kBands * out_w;
  float scale[kBands], offset[kBands], band_low[kBands], band_high[kBands];
  for (int b = 0; b < kBands; ++b) {  // double, rounded once (runtime/preprocess.py band_constants)
    scale[b] = static_cast<float>((config.units_db ? 1.0 : kDbPerLog2) / config.std_db[b]);
    offset[b] = static_cast<float>(-config.mean_db[b] / config.std_db[b]);
    band_low[b] = static_cast<float>((config.clip_db[0] - config.mean_db[b]) / config.std_db[b]);
    band_high[b] = static_cast<float>((config.clip_db[1] - config.mean_db[b]) / config.std_db[b]);
  }
  const float floor = static_cast<float>(config.floor_linear);
  const bool v2 = out != nullptr;
  const float full = static_cast<float>(k * k);
  for (int y = 0; y < out_h; ++y) {
    const float* block = image + static_cast<std::size_t>(y) * k * row_values;
    bool block_finite = true;
    for (int r = 0; r < k; ++r) {
      block_finite &= scan_row<true>(block + static_cast<std::size_t>(r) * row_values, row_values, r == 0, clip_low,
                                     clip_high, sums, scan);
    }
    if (!v2) continue;
    if (!block_finite) count_rows(block, row_values, k, counts);
    int x = 0;
    if (k == 2 && block_finite) {  // eight columns at a time: de-interleave VV/VH, add column pairs
      for (; x + 4 <= out_w; x += 4) {
        const float* at = sums + static_cast<std::size_t>(x) * 4;
        const F4 a = load4(at), b = load4(at + 4), c = load4(at + 8), d = load4(at + 12);
        const F4 vv_ab = __builtin_shufflevector(a, b, 0, 2, 4, 6), vv_cd = __builtin_shufflevector(c, d, 0, 2, 4, 6);
        const F4 vh_ab = __builtin_shufflevector(a, b, 1, 3, 5, 7), vh_cd = __builtin_shufflevector(c, d, 1, 3, 5, 7);
        store4(level + x, __builtin_shufflevector(vv_ab, vv_cd, 0, 2, 4, 6) +
                              __builtin_shufflevector(vv_ab, vv_cd, 1, 3, 5, 7));
        store4(level + out_w + x, __builtin_shufflevector(vh_ab, vh_cd, 0, 2, 4, 6) +
                                      __builtin_shufflevector(vh_ab, vh_cd, 1, 3, 5, 7));
        const F4 four = {full, full, full, full};
        store4(level_count + x, four);
        store4(level_count + out_w + x, four);
      }
    }
    for (; x < out_w; ++x) {  // the column sums left to right, per band
      for (int b = 0; b < kBands; ++b) {
        const std::size_t first = static_cast<std::size_t>(x) * k * kBands + b;
        float total = sums[first];
        for (int c = 1; c < k; ++c) total = total + sums[first + static_cast<std::size_t>(c) * kBands];
        level[b * out_w + x] = total;
        if (block_finite) {
          level_count[b * out_w + x] = full;
        } else {
          float count = counts[first];
          for (int c = 1; c < k; ++c) count = count + counts[first + static_cast<std::size_t>(c) * kBands];
          level_count[b * out_w + x] = count;
        }
      }
    }
    for (int b = 0; b < kBands; ++b) {
      finish_row(level + b * out_w, level_count + b * out_w, out_w, config.units_db, floor, scale[b], offset[b],
                 band_low[b], band_high[b], out + b * plane + static_cast<std::size_t>(y) * out_w);
    }
  }
  return scan;
}

ImageScan preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out) {
  std::vector<float> scratch(preprocess_scratch_floats(width, config));
  return preprocess_image(image, height, width, config, out, scratch.data());
}

void preprocess_pair(const float* first, const float* second, int height, int width,
                     const PreprocessConfig& config, float* out) {
  const std::size_t plane = static_cast<std::size_t>(height / config.downsample) * (width / config.downsample);
  preprocess_image(first, height, width, config, out);
  preprocess_image(second, height, width, config, out + kBands * plane);
}

}  // namespace quakesat
