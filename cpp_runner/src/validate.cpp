// Input checks, mirroring runtime/tile.py check_image / check_pair: the verdict on an image
// is read from its scan (preprocess.hpp), gathered alone here or inside version 2's pass.
#include "quakesat/validate.hpp"

#include "vector4.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace quakesat {

namespace {

using namespace vector4;

// A Boyer-Moore majority vote's state: `count` copies of `value` left once pairs of different
// values have cancelled. Cancelling distinct pairs in any order leaves a majority value (more
// than half), if there is one, so states over parts of a sequence merge into the whole's.
struct Vote {
  float value = 0.0f;
  std::int64_t count = 0;
};

Vote merge(Vote a, Vote b) {
  if (b.count == 0) return a;
  if (a.count == 0 || a.value == b.value) return {b.value, a.count + b.count};
  return a.count >= b.count ? Vote{a.value, a.count - b.count} : Vote{b.value, b.count - a.count};
}

// One step of the vote in each of four lanes (a lane keeps to one band): no-data (signalling
// NaN too) has no vote; float ==, so +0 and -0 are one value. The new state depends on the old
// through a few operations only (both tests read the old state).
inline void vote4(F4 v, F4& held, I4& votes) {
  const I4 finite = (v - v) == 0.0f;
  const I4 empty = votes == 0, same = v == held;
  held = (finite & empty) ? v : held;
  votes += (((empty | same) & 2) - 1) & finite;  // +1 for the held (or a new) value, -1 for another
}

// Each band's majority candidate: if a value holds more than half of a band's valid values, it
// is that band's candidate. Four lanes, four independent chains, merged per band at the end.
void majority_candidates(const float* image, std::size_t values, float candidate[kBands]) {
  constexpr int kChains = 4;
  F4 held[kChains] = {};
  I4 votes[kChains] = {};
  std::size_t i = 0;
  for (; i + 4 * kChains <= values; i += 4 * kChains) {  // values start on VV: lanes 0, 2 VV, lanes 1, 3 VH
    for (int chain = 0; chain < kChains; ++chain) vote4(load4(image + i + 4 * chain), held[chain], votes[chain]);
  }
  for (; i + 4 <= values; i += 4) vote4(load4(image + i), held[0], votes[0]);
  Vote band[kBands];
  for (int chain = 0; chain < kChains; ++chain) {
    for (int lane = 0; lane < 4; ++lane) {
      band[lane & 1] = merge(band[lane & 1], {held[chain][lane], votes[chain][lane]});
    }
  }
  for (; i < values; ++i) {
    if ((image[i] - image[i]) == 0.0f) band[i & 1] = merge(band[i & 1], {image[i], 1});
  }
  for (int b = 0; b < kBands; ++b) candidate[b] = band[b].value;
}

// How many values of each band equal its candidate (NaN equals nothing), four lanes at a time.
void count_equal(const float* image, std::size_t values, const float candidate[kBands], std::size_t count[kBands]) {
  const F4 c = {candidate[0], candidate[1], candidate[0], candidate[1]};
  I4 lanes = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= values; i += 4) lanes -= load4(image + i) == c;
  count[0] = static_cast<std::size_t>(lanes[0]) + static_cast<std::size_t>(lanes[2]);
  count[1] = static_cast<std::size_t>(lanes[1]) + static_cast<std::size_t>(lanes[3]);
  for (; i < values; ++i) count[i & 1] += image[i] == candidate[i & 1];
}

}  // namespace

Status judge_scan(const ImageScan& scan, const float* image, const PreprocessConfig& config) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  if (scan.high == inf || scan.low == -inf) return Status::kNonFinite;  // only a real Inf gets there
  const std::size_t valid = scan.band_valid[0] + scan.band_valid[1];
  if (valid == 0) return Status::kAllNodata;
  const double nodata = 1.0 - static_cast<double>(valid) / static_cast<double>(scan.values);
  if (nodata > kMaxNodata) return Status::kMostlyNodata;
  // A whole polarisation without one valid pixel, or mostly without, is not a radar image.
  const double band_values = static_cast<double>(scan.values / kBands);
  for (int b = 0; b < kBands; ++b) {
    if (scan.band_valid[b] == 0) return Status::kAllNodata;
  }
  for (int b = 0; b < kBands; ++b) {
    if (1.0 - static_cast<double>(scan.band_valid[b]) / band_values > kMaxNodata) return Status::kMostlyNodata;
  }
  if (scan.low == 0.0f && scan.high == 0.0f) return Status::kAllZero;
  // A fill: more than kMaxRepeated of a band's valid pixels one value (a stuck or filled product,
  // whatever a few strays say). Exact for kMaxRepeated >= 0.5: the scan's differing pairs leave
  // at most valid - differ pixels to any one value, which rules most bands out at once; for the
  // others the majority vote names the one value that can hold more than half, and its count decides.
  bool undecided[kBands], any_undecided = false;
  for (int b = 0; b < kBands; ++b) {
    const double valid_b = static_cast<double>(scan.band_valid[b]);
    undecided[b] = static_cast<double>(scan.band_valid[b] - scan.band_differ[b]) > kMaxRepeated * valid_b;
    any_undecided = any_undecided || undecided[b];
  }
  if (any_undecided) {
    float candidate[kBands];
    std::size_t count[kBands];
    majority_candidates(image, scan.values, candidate);
    count_equal(image, scan.values, candidate, count);
    for (int b = 0; b < kBands; ++b) {
      if (undecided[b] && static_cast<double>(count[b]) > kMaxRepeated * static_cast<double>(scan.band_valid[b])) {
        return Status::kConstant;
      }
    }
  }
  // Bounds as float, the doubles rounded to nearest (numpy compares a float32 tile the same way).
  const float bound_low = static_cast<float>(config.units_db ? kMinDb : 0.0);
  const float bound_high = static_cast<float>(config.units_db ? 10.0 * std::log10(kMaxLinear) : kMaxLinear);
  if (scan.low < bound_low || scan.high > bound_high) return Status::kOutOfRange;
  // Most of a band beyond the clip range (all subnormal, say) is one value once clipped.
  for (int b = 0; b < kBands; ++b) {
    if (static_cast<double>(scan.band_clipped[b]) > kMaxRepeated * static_cast<double>(scan.band_valid[b])) {
      return Status::kConstant;
    }
  }
  if (nodata > 0) return Status::kPartialNodata;
  const std::size_t clipped = scan.band_clipped[0] + scan.band_clipped[1];
  if (static_cast<double>(clipped) / static_cast<double>(valid) > kMaxClipped) return Status::kValuesClipped;
  return Status::kOk;
}

Status check_image(const float* image, int height, int width, int side, const PreprocessConfig& config) {
  if (height != side || width != side) return Status::kBadShape;
  return judge_scan(scan_image(image, static_cast<std::size_t>(height) * width * kBands, config), image, config);
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
