// Interferogram formation (preprocessing version 3), mirroring runtime/interferogram.py
// operation for operation (see its module doc and interferogram.hpp).
#include "quakesat/interferogram.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "quakesat/same_track.hpp"

namespace quakesat {

namespace {

constexpr int kSums = 4;  // per block: I.re, I.im, P1, P2

// Not NaN, not +-Inf (numpy's isfinite on the float32 parts).
inline bool finite(float v) { return v - v == 0.0f; }

}  // namespace

std::size_t interferogram_scratch_doubles(int width, int looks) {
  return static_cast<std::size_t>(kSums) * static_cast<std::size_t>(std::max(width, 0) / std::max(looks, 1));
}

bool interferogram_features(const float* pre, const float* post, int height, int width, int looks, float* out,
                            double* scratch, SameTrackScan* scan) {
  if (looks < 1 || height < 1 || width < 1 || height % looks != 0 || width % looks != 0) return false;
  if (scan) *scan = SameTrackScan{};
  const int out_h = height / looks, out_w = width / looks;
  const std::size_t plane = static_cast<std::size_t>(out_h) * out_w;
  const std::size_t row_values = static_cast<std::size_t>(width) * 2;
  // One row of blocks at a time, the image streamed row by row: each block's sums see its
  // pixels in the block's row-major order, as Python's `total = total + blocks[:, r, :, c]`.
  for (int y = 0; y < out_h; ++y) {
    std::fill(scratch, scratch + static_cast<std::size_t>(kSums) * out_w, 0.0);  // sums start from +0.0
    for (int r = 0; r < looks; ++r) {
      const std::size_t row = (static_cast<std::size_t>(y) * looks + r) * row_values;
      const float* a = pre + row;
      const float* b = post + row;
      if (scan) scan_same_track_rows(a, b, width, *scan);  // the checks' scan, the row in cache
      for (int x = 0; x < out_w; ++x) {
        double* sums = scratch + static_cast<std::size_t>(kSums) * x;
        double real = sums[0], imag = sums[1], power_pre = sums[2], power_post = sums[3];
        for (int c = 0; c < looks; ++c) {
          const std::size_t at = (static_cast<std::size_t>(x) * looks + c) * 2;
          float ar = a[at], ai = a[at + 1], br = b[at], bi = b[at + 1];
          if (!(finite(ar) && finite(ai) && finite(br) && finite(bi))) ar = ai = br = bi = 0.0f;  // step 1
          const double dar = ar, dai = ai, dbr = br, dbi = bi;  // step 2: exact products, two roundings
          real = real + (dbr * dar + dbi * dai);
          imag = imag + (dbi * dar - dbr * dai);
          power_pre = power_pre + (dar * dar + dai * dai);
          power_post = power_post + (dbr * dbr + dbi * dbi);
        }
        sums[0] = real;
        sums[1] = imag;
        sums[2] = power_pre;
        sums[3] = power_post;
      }
    }
    for (int x = 0; x < out_w; ++x) {  // steps 4 and 5
      const double* sums = scratch + static_cast<std::size_t>(kSums) * x;
      const double real = sums[0], imag = sums[1];
      const double magnitude = std::sqrt(real * real + imag * imag);
      const double denominator = std::sqrt(sums[2] * sums[3]);
      const double coherence = denominator > 0.0 ? std::min(magnitude / denominator, 1.0) : 0.0;
      const bool powered = magnitude > 0.0;
      const std::size_t at = static_cast<std::size_t>(y) * out_w + x;
      out[at] = static_cast<float>(powered ? real / magnitude : 0.0);
      out[plane + at] = static_cast<float>(powered ? imag / magnitude : 0.0);
      out[2 * plane + at] = static_cast<float>(coherence);
    }
  }
  return true;
}

bool interferogram_features(const float* pre, const float* post, int height, int width, int looks, float* out) {
  std::vector<double> scratch(interferogram_scratch_doubles(width, looks));
  return interferogram_features(pre, post, height, width, looks, out, scratch.data());
}

}  // namespace quakesat
