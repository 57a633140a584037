// Preprocessing, mirroring runtime/preprocess.py operation for operation (see its module doc).
#include "quakesat/preprocess.hpp"

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

// One row of input values into the scan's statistics and, with kSums, into the column sums
// (first row of a block: assign; later rows: add). Branch-free, so that compilers vectorise it.
template <bool kSums>
void scan_row(const float* row, std::size_t n, bool first, float clip_low, float clip_high, float* sums,
              float* counts, ImageScan& scan) {
  std::size_t valid = 0, clipped = 0;
  float lo = scan.low, hi = scan.high;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = row[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    valid += v == v;
    clipped += (v < clip_low) | (v > clip_high);
    if (kSums) {
      const bool finite = (v - v) == 0.0f;
      const float kept = finite ? v : 0.0f;
      const float one = finite ? 1.0f : 0.0f;
      sums[i] = first ? kept : sums[i] + kept;
      counts[i] = first ? one : counts[i] + one;
    }
  }
  scan.low = lo;
  scan.high = hi;
  scan.valid += valid;
  scan.clipped += clipped;
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
  scan.low = kInf;
  scan.high = -kInf;
  scan_row<false>(image, values, true, clip_low, clip_high, nullptr, nullptr, scan);
  return scan;
}

std::size_t preprocess_scratch_floats(int width, const PreprocessConfig& config) {
  const std::size_t row = static_cast<std::size_t>(width) * kBands;
  const std::size_t out_w = static_cast<std::size_t>(width / std::max(config.downsample, 1));
  return 2 * row + 2 * kBands * out_w;
}

ImageScan preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out,
                           float* scratch) {
  if (config.version < 2) {  // version 1: the scan alone, then its own double pass
    const ImageScan scan = scan_image(image, static_cast<std::size_t>(height) * width * kBands, config);
    if (out != nullptr) preprocess_v1(image, height, width, config, out);
    return scan;
  }
  const int k = config.downsample;
  const int out_h = height / k, out_w = width / k;
  const std::size_t row_values = static_cast<std::size_t>(width) * kBands;
  const std::size_t plane = static_cast<std::size_t>(out_h) * out_w;
  ImageScan scan;
  scan.values = row_values * height;
  float clip_low, clip_high;
  clip_thresholds(config, clip_low, clip_high);
  scan.low = kInf;
  scan.high = -kInf;
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
  for (int y = 0; y < out_h; ++y) {
    for (int r = 0; r < k; ++r) {
      scan_row<true>(image + static_cast<std::size_t>(y * k + r) * row_values, row_values, r == 0, clip_low,
                     clip_high, sums, counts, scan);
    }
    if (!v2) continue;
    for (int x = 0; x < out_w; ++x) {  // the column sums left to right, per band
      for (int b = 0; b < kBands; ++b) {
        const std::size_t first = static_cast<std::size_t>(x) * k * kBands + b;
        float total = sums[first], count = counts[first];
        for (int c = 1; c < k; ++c) {
          total = total + sums[first + static_cast<std::size_t>(c) * kBands];
          count = count + counts[first + static_cast<std::size_t>(c) * kBands];
        }
        level[b * out_w + x] = total;
        level_count[b * out_w + x] = count;
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
