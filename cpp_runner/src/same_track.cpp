// Input checks of a same-track complex pair, mirroring runtime/same_track.py (see its module
// doc and same_track.hpp): the verdicts are read from a row-by-row scan, gathered alone here or
// inside interferogram formation (interferogram.cpp), with a second look at an image only when
// its differing pairs cannot rule out a fill. No heap allocation.
#include "quakesat/same_track.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "quakesat/interferogram.hpp"
#include "vector4.hpp"

namespace quakesat {

namespace {

using namespace vector4;

constexpr double kPi = 3.141592653589793;  // math.pi, the same double

// One pixel into `s`; returns 1 when it is no-data (a NaN in either part), else 0. The
// odd column's scan; the others go two at a time, four lanes (scan_two).
inline unsigned scan_pixel(float re, float im, SameTrackImageScan& s) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  const bool nodata = re != re || im != im;
  s.nodata += nodata;
  s.infinite |= std::fabs(re) == inf || std::fabs(im) == inf;
  s.nonzero |= !nodata && (re != 0.0f || im != 0.0f);
  const double r = re, i = im;
  s.too_bright |= r * r + i * i > kMaxIntensity;  // false for NaN: no-data is no pixel
  return nodata;
}

// One image's row scan in lanes: each step takes two adjacent pixels, (re0, im0, re1, im1), so
// that the step's pair is the differing pair; a mask lane is -1 where true. Folded into a
// SameTrackImageScan at the end of the row (the counts fit an int32 for any row).
struct Lanes {
  I4 nodata = {0, 0, 0, 0};    // -1 in both lanes of a no-data pixel
  I4 differ = {0, 0, 0, 0};    // -1 in every lane per differing pair
  I4 infinite = {0, 0, 0, 0};  // a +-Inf in the lane
  I4 nonzero = {0, 0, 0, 0};   // a part != 0 of a valid pixel in the lane
  I4 maybe_bright = {0, 0, 0, 0};  // a float intensity above kBrightFilter: check that row in double

  void fold(SameTrackImageScan& s) const {
    s.nodata += static_cast<std::size_t>(-(nodata[0] + nodata[2]));
    s.differ += static_cast<std::size_t>(-differ[0]);
    s.infinite |= (infinite[0] | infinite[1] | infinite[2] | infinite[3]) != 0;
    s.nonzero |= (nonzero[0] | nonzero[1] | nonzero[2] | nonzero[3]) != 0;
  }
  bool any_maybe_bright() const {
    return (maybe_bright[0] | maybe_bright[1] | maybe_bright[2] | maybe_bright[3]) != 0;
  }
};

// The float intensity re * re + im * im is within 2 ulp of the double one (relative 2^-23), so a
// pixel whose double intensity exceeds kMaxIntensity = 1e4 has a float one above 9999: the float
// filter passes every bright pixel, and the rows it flags are judged exactly (row_too_bright).
constexpr float kBrightFilter = 9999.0f;
static_assert(kMaxIntensity == 1e4, "kBrightFilter is a safe margin below kMaxIntensity");

// Any valid pixel of the row with re * re + im * im > kMaxIntensity, in double (NaN: false).
bool row_too_bright(const float* row, int width) {
  bool bright = false;
  for (int x = 0; x < width; ++x) {
    const double re = row[2 * x], im = row[2 * x + 1];
    bright |= re * re + im * im > kMaxIntensity;
  }
  return bright;
}

// Two adjacent pixels (four floats at `p`) into `l`, scan_pixel's rules lane by lane (the
// intensity only filtered) and their differing pair; returns their no-data mask (both lanes of
// each pixel).
inline I4 scan_two(const float* p, Lanes& l) {
  const F4 v = load4(p);
  const I4 nan = v != v;
  const I4 nodata = nan | __builtin_shufflevector(nan, nan, 1, 0, 3, 2);  // the pixel's, in both its lanes
  l.nodata += nodata;
  l.infinite |= (as_bits(v) & 0x7fffffff) == 0x7f800000;
  l.nonzero |= (v != 0.0f) & ~nodata;
  // The pair differs: re or im != (float: +0 == -0), neither pixel no-data.
  const I4 either_nodata = nodata | __builtin_shufflevector(nodata, nodata, 2, 3, 0, 1);
  const I4 ne = (v != __builtin_shufflevector(v, v, 2, 3, 0, 1)) & ~either_nodata;
  l.differ += ne | __builtin_shufflevector(ne, ne, 1, 0, 3, 2);
  // Intensities in float, the filter (kBrightFilter; NaN compares false).
  const F4 squares = v * v;
  l.maybe_bright |= (squares + __builtin_shufflevector(squares, squares, 1, 0, 3, 2)) > kBrightFilter;
  return nodata;
}

// A Boyer-Moore majority vote's state over complex values: `count` copies of (re, im) left once
// pairs of different values have cancelled. States over parts of a sequence merge into the
// whole's (validate.cpp's Vote, both parts compared).
struct Vote {
  float re = 0.0f, im = 0.0f;
  std::int64_t count = 0;
};

Vote merge(Vote a, Vote b) {
  if (b.count == 0) return a;
  if (a.count == 0 || (a.re == b.re && a.im == b.im)) return {b.re, b.im, a.count + b.count};
  return a.count >= b.count ? Vote{a.re, a.im, a.count - b.count} : Vote{b.re, b.im, b.count - a.count};
}

// One step of the vote for two pixels, each in its two lanes (one chain per pixel of the step):
// no-data has no vote; float == on both parts, so +0 and -0 are one value.
inline void vote2(F4 v, F4& held, I4& votes) {
  const I4 nan = v != v;
  const I4 valid = ~(nan | __builtin_shufflevector(nan, nan, 1, 0, 3, 2));
  const I4 equal = v == held;
  const I4 same = equal & __builtin_shufflevector(equal, equal, 1, 0, 3, 2);
  const I4 empty = votes == 0;
  held = (valid & empty) ? v : held;
  votes += (((empty | same) & 2) - 1) & valid;  // +1 for the held (or a new) value, -1 for another
}

// Does one complex value hold more than kMaxRepeated of the image's `valid` pixels? The majority
// vote over the valid pixels names the only value that can (kMaxRepeated >= 0.5), and its count
// decides. Eight chains of the vote, merged at the end.
bool has_fill(const float* image, std::size_t pixels, std::size_t valid) {
  constexpr int kSteps = 4;  // F4s per round: eight pixels, eight chains
  F4 held[kSteps] = {};
  I4 votes[kSteps] = {};
  std::size_t i = 0;
  for (; i + 2 * kSteps <= pixels; i += 2 * kSteps) {
    for (int k = 0; k < kSteps; ++k) vote2(load4(image + 2 * i + 4 * k), held[k], votes[k]);
  }
  for (; i + 2 <= pixels; i += 2) vote2(load4(image + 2 * i), held[0], votes[0]);
  Vote vote;
  for (int k = 0; k < kSteps; ++k) {
    vote = merge(vote, {held[k][0], held[k][1], votes[k][0]});
    vote = merge(vote, {held[k][2], held[k][3], votes[k][2]});
  }
  if (i < pixels && image[2 * i] == image[2 * i] && image[2 * i + 1] == image[2 * i + 1]) {
    vote = merge(vote, {image[2 * i], image[2 * i + 1], 1});
  }
  if (vote.count == 0) return false;  // no value holds more than half
  // How many pixels equal it (NaN equals nothing), two at a time.
  const F4 candidate = {vote.re, vote.im, vote.re, vote.im};
  I4 lanes = {0, 0, 0, 0};
  for (i = 0; i + 2 <= pixels; i += 2) {
    const I4 equal = load4(image + 2 * i) == candidate;
    lanes -= equal & __builtin_shufflevector(equal, equal, 1, 0, 3, 2);
  }
  std::size_t count = static_cast<std::size_t>(lanes[0]) + static_cast<std::size_t>(lanes[2]);
  if (i < pixels) count += image[2 * i] == vote.re && image[2 * i + 1] == vote.im;
  return static_cast<double>(count) > kMaxRepeated * static_cast<double>(valid);
}

}  // namespace

void scan_same_track_row(const float* row, int width, SameTrackImageScan& scan) {
  Lanes lanes;
  int x = 0;
  for (; x + 2 <= width; x += 2) scan_two(row + 2 * x, lanes);
  lanes.fold(scan);
  if (lanes.any_maybe_bright()) scan.too_bright |= row_too_bright(row, x);
  if (x < width) scan_pixel(row[2 * x], row[2 * x + 1], scan);
  scan.pixels += static_cast<std::size_t>(std::max(width, 0));
}

void scan_same_track_rows(const float* pre_row, const float* post_row, int width, SameTrackScan& scan) {
  Lanes pre, post;
  I4 lost = {0, 0, 0, 0};  // -1 in both lanes of a pixel lost in either image
  int x = 0;
  for (; x + 2 <= width; x += 2) lost += scan_two(pre_row + 2 * x, pre) | scan_two(post_row + 2 * x, post);
  pre.fold(scan.pre);
  post.fold(scan.post);
  if (pre.any_maybe_bright()) scan.pre.too_bright |= row_too_bright(pre_row, x);
  if (post.any_maybe_bright()) scan.post.too_bright |= row_too_bright(post_row, x);
  scan.lost += static_cast<std::size_t>(-(lost[0] + lost[2]));
  if (x < width) {
    scan.lost += scan_pixel(pre_row[2 * x], pre_row[2 * x + 1], scan.pre) |
                 scan_pixel(post_row[2 * x], post_row[2 * x + 1], scan.post);
  }
  const std::size_t pixels = static_cast<std::size_t>(std::max(width, 0));
  scan.pre.pixels += pixels;
  scan.post.pixels += pixels;
}

Status judge_same_track_image(const SameTrackImageScan& scan, const float* image) {
  const std::size_t valid = scan.pixels - scan.nodata;
  if (valid == 0) return Status::kAllNodata;
  if (scan.infinite) return Status::kNonFinite;
  const double nodata = 1.0 - static_cast<double>(valid) / static_cast<double>(scan.pixels);
  if (nodata > kMaxNodata) return Status::kMostlyNodata;
  if (!scan.nonzero) return Status::kAllZero;
  // A fill: at most valid - differ pixels can hold any one value (each differing pair has at
  // most one of them), which rules most images out at once; the others get the vote.
  const double at_most = static_cast<double>(valid - scan.differ);
  if (at_most > kMaxRepeated * static_cast<double>(valid) && has_fill(image, scan.pixels, valid)) {
    return Status::kConstant;
  }
  if (scan.too_bright) return Status::kOutOfRange;
  if (nodata > 0) return Status::kPartialNodata;
  return Status::kOk;
}

Status judge_same_track_pair(const SameTrackScan& scan, const float* pre, const float* post) {
  const Status first = judge_same_track_image(scan.pre, pre);
  if (!processable(first)) return first;  // Python judges post too, but pre's verdict wins
  const Status second = judge_same_track_image(scan.post, post);
  if (!processable(second)) return second;
  // A pixel missing in either image is lost to the interferogram (float(count) / size).
  if (static_cast<double>(scan.lost) / static_cast<double>(scan.pre.pixels) > kMaxNodata) return Status::kMostlyNodata;
  return pair_verdict(first, second);
}

Status check_same_track_image(const float* image, int side) {
  SameTrackImageScan scan;
  const std::size_t row = static_cast<std::size_t>(std::max(side, 0)) * 2;
  for (int y = 0; y < side; ++y) scan_same_track_row(image + y * row, side, scan);
  return judge_same_track_image(scan, image);
}

Status check_same_track_pair(const float* pre, const float* post, int side) {
  SameTrackScan scan;
  const std::size_t row = static_cast<std::size_t>(std::max(side, 0)) * 2;
  for (int y = 0; y < side; ++y) scan_same_track_rows(pre + y * row, post + y * row, side, scan);
  return judge_same_track_pair(scan, pre, post);
}

float coherent_level(int looks) {
  return static_cast<float>(std::min(1.0, kCoherentBiasFactor * std::sqrt(kPi / (4.0 * looks * looks))));
}

Status check_coherence(const float* coherence, std::size_t cells, int looks) {
  const float level = coherent_level(looks);
  std::size_t coherent = 0;
  for (std::size_t i = 0; i < cells; ++i) coherent += coherence[i] >= level;
  return static_cast<double>(coherent) < kMinCoherentShare * static_cast<double>(cells) ? Status::kNoCoherence
                                                                                          : Status::kOk;
}

bool same_track_features(const float* pre, const float* post, int side, int looks, float* out, double* scratch,
                         Status& status) {
  SameTrackScan scan;
  if (!interferogram_features(pre, post, side, side, looks, out, scratch, &scan)) return false;
  status = judge_same_track_pair(scan, pre, post);
  if (processable(status)) {
    const std::size_t cells = static_cast<std::size_t>(side / looks) * static_cast<std::size_t>(side / looks);
    const Status coherence = check_coherence(out + 2 * cells, cells, looks);
    if (coherence != Status::kOk) status = coherence;
  }
  return true;
}

}  // namespace quakesat
