// Input checks, mirroring runtime/validate.py check_image / check_pair.
#include "quakesat/validate.hpp"

#include <cmath>
#include <cstddef>

namespace quakesat {

Status check_image(const float* image, int height, int width, int side, const PreprocessConfig& config) {
  if (height != side || width != side) return Status::kBadShape;
  const std::size_t size = static_cast<std::size_t>(height) * width * kBands;
  std::size_t valid = 0;
  bool any_nonzero = false;
  float low = 0.0f, high = 0.0f;
  for (std::size_t i = 0; i < size; ++i) {
    if (std::isinf(image[i])) return Status::kNonFinite;
  }
  for (std::size_t i = 0; i < size; ++i) {
    const float v = image[i];
    if (!std::isfinite(v)) continue;
    if (valid == 0) low = high = v;
    low = v < low ? v : low;
    high = v > high ? v : high;
    any_nonzero |= v != 0.0f;
    ++valid;
  }
  const double nodata = 1.0 - static_cast<double>(valid) / static_cast<double>(size);
  if (valid == 0) return Status::kAllNodata;
  if (nodata > kMaxNodata) return Status::kMostlyNodata;
  if (!any_nonzero) return Status::kAllZero;
  if (low == high) return Status::kConstant;
  const double bound_low = config.units_db ? kMinDb : 0.0;
  const double bound_high = config.units_db ? 10.0 * std::log10(kMaxLinear) : kMaxLinear;
  if (low < bound_low || high > bound_high) return Status::kOutOfRange;
  if (nodata > 0) return Status::kPartialNodata;
  const double clip_low = config.units_db ? config.clip_db[0] : std::pow(10.0, config.clip_db[0] / 10.0);
  const double clip_high = config.units_db ? config.clip_db[1] : std::pow(10.0, config.clip_db[1] / 10.0);
  std::size_t clipped = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const double v = image[i];
    if (std::isfinite(v) && (v < clip_low || v > clip_high)) ++clipped;
  }
  if (static_cast<double>(clipped) / static_cast<double>(valid) > kMaxClipped) return Status::kValuesClipped;
  return Status::kOk;
}

Status check_pair(const float* first, int first_h, int first_w, const float* second, int second_h, int second_w,
                  int side, const PreprocessConfig& config) {
  const Status a = check_image(first, first_h, first_w, side, config);
  const Status b = check_image(second, second_h, second_w, side, config);
  if (!processable(a)) return a;
  if (!processable(b)) return b;
  if (a != Status::kOk) return a;
  return b;
}

}  // namespace quakesat
