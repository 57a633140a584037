// Input checks, mirroring runtime/tile.py check_image / check_pair: the verdict on an image
// is read from its scan (preprocess.hpp), gathered alone here or inside version 2's pass.
#include "quakesat/validate.hpp"

#include <cmath>
#include <cstddef>
#include <limits>

namespace quakesat {

Status judge_scan(const ImageScan& scan, const PreprocessConfig& config) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  if (scan.high == inf || scan.low == -inf) return Status::kNonFinite;  // only a real Inf gets there
  if (scan.valid == 0) return Status::kAllNodata;
  const double nodata = 1.0 - static_cast<double>(scan.valid) / static_cast<double>(scan.values);
  if (nodata > kMaxNodata) return Status::kMostlyNodata;
  // A whole polarisation without one valid pixel, or one constant value, is not a radar image.
  for (int b = 0; b < 2; ++b) {
    if (scan.band_low[b] > scan.band_high[b]) return Status::kAllNodata;
  }
  if (scan.low == 0.0f && scan.high == 0.0f) return Status::kAllZero;
  if (scan.low == scan.high) return Status::kConstant;
  for (int b = 0; b < 2; ++b) {
    if (scan.band_low[b] == scan.band_high[b]) return Status::kConstant;
  }
  // Bounds as float, the doubles rounded to nearest (numpy compares a float32 tile the same way).
  const float bound_low = static_cast<float>(config.units_db ? kMinDb : 0.0);
  const float bound_high = static_cast<float>(config.units_db ? 10.0 * std::log10(kMaxLinear) : kMaxLinear);
  if (scan.low < bound_low || scan.high > bound_high) return Status::kOutOfRange;
  // Every valid pixel beyond one end of the clip range (all subnormal, say): one value once clipped.
  float clip_low, clip_high;
  clip_thresholds(config, clip_low, clip_high);
  if (scan.high < clip_low || scan.low > clip_high) return Status::kConstant;
  if (nodata > 0) return Status::kPartialNodata;
  if (static_cast<double>(scan.clipped) / static_cast<double>(scan.valid) > kMaxClipped) return Status::kValuesClipped;
  return Status::kOk;
}

Status check_image(const float* image, int height, int width, int side, const PreprocessConfig& config) {
  if (height != side || width != side) return Status::kBadShape;
  return judge_scan(scan_image(image, static_cast<std::size_t>(height) * width * kBands, config), config);
}

Status pair_verdict(Status first, Status second) {
  if (!processable(first)) return first;
  if (!processable(second)) return second;
  if (first != Status::kOk) return first;
  return second;
}

Status check_pair(const float* first, int first_h, int first_w, const float* second, int second_h, int second_w,
                  int side, const PreprocessConfig& config) {
  return pair_verdict(check_image(first, first_h, first_w, side, config),
                      check_image(second, second_h, second_w, side, config));
}

}  // namespace quakesat
