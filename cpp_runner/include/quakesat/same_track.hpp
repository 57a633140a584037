// Input checks of a same-track complex pair (runtime/same_track.py), the tile kind of
// preprocessing version 3 (interferogram.hpp): same checks, same order, same thresholds, so
// that the verdicts are Python's. Dtype and shape are the file reader's job (npy.hpp
// read_npy_complex: BAD_DTYPE, BAD_SHAPE); images here are side x side complex64 stored
// interleaved (re, im floats). No heap allocation anywhere in this header's functions.
//
// One image, the first status that applies:
//  ALL_NODATA      every pixel no-data (NaN in its real or imaginary part)
//  NON_FINITE      any +-Inf in either part (even beside a NaN)
//  MOSTLY_NODATA   more than kMaxNodata of the pixels no-data
//  ALL_ZERO        every valid pixel's both parts 0 (-0 too)
//  CONSTANT        a fill: more than kMaxRepeated of the valid pixels one complex value (both
//                  parts float ==, so +0 and -0 are one value). The scan's differing pairs rule
//                  an image out at once when they are at least half its valid pixels; otherwise a
//                  majority vote over `image` finds the one candidate and its count decides
//  OUT_OF_RANGE    a valid pixel with re * re + im * im (in double) above kMaxIntensity
//  PARTIAL_NODATA  some pixel no-data (degraded)
//  OK
// The pair: the first non-processable verdict (pre first); then MOSTLY_NODATA when more than
// kMaxNodata of the pixels are no-data in one image or the other; then the first degraded
// verdict (pre first); else OK. After formation, check_coherence: NO_COHERENCE when fewer than
// kMinCoherentShare of the cells reach coherent_level(looks).
#pragma once

#include <cstddef>

#include "quakesat/status.hpp"
#include "quakesat/validate.hpp"

namespace quakesat {

constexpr double kMaxIntensity = kMaxLinear;   // |z|^2 of a pixel: the amplitude tiles' +40 dB
constexpr double kMinCoherentShare = 0.01;     // of the cells, that must be coherent
constexpr double kCoherentBiasFactor = 3.0;    // times the zero-coherence bias a coherent cell reaches

// What the checks need from one complex image, gathered row by row (alone, or inside
// interferogram formation: interferogram_features with a SameTrackScan).
struct SameTrackImageScan {
  std::size_t pixels = 0;  // pixels scanned
  std::size_t nodata = 0;  // pixels with a NaN in either part
  // Disjoint pairs of horizontally adjacent pixels (columns 2j, 2j + 1; the last column of an odd
  // width unpaired), neither no-data, that differ (re or im, float !=). Without Inf (an Inf is
  // NON_FINITE first) no one value holds more than pixels - nodata - differ pixels.
  std::size_t differ = 0;
  bool infinite = false;   // a +-Inf in either part of any pixel
  bool nonzero = false;    // a valid pixel with a part != 0
  bool too_bright = false; // a valid pixel with re * re + im * im (double) > kMaxIntensity
};

// Both images of a pair and the pixels lost in either (no-data in pre or post).
struct SameTrackScan {
  SameTrackImageScan pre, post;
  std::size_t lost = 0;
};

// Add one row (`width` pixels, 2 x width floats) of one image, or of both images of a pair.
void scan_same_track_row(const float* row, int width, SameTrackImageScan& scan);
void scan_same_track_rows(const float* pre_row, const float* post_row, int width, SameTrackScan& scan);

// The verdict on one image from its scan; `image` is the image scanned (scan.pixels pixels),
// read again only when the differing pairs cannot rule out a fill.
Status judge_same_track_image(const SameTrackImageScan& scan, const float* image);
// The verdict on a pair from its scan (the images scanned, for the same second look).
Status judge_same_track_pair(const SameTrackScan& scan, const float* pre, const float* post);

// One side x side image; a pair of them.
Status check_same_track_image(const float* image, int side);
Status check_same_track_pair(const float* pre, const float* post, int side);

// The coherence a cell must reach to count as coherent: min(1, 3 sqrt(pi / (4 looks^2))) in
// double (runtime/same_track.py coherent_level), rounded to float as numpy compares it.
float coherent_level(int looks);
// NO_COHERENCE when fewer than kMinCoherentShare of the `cells` values at `coherence` (the third
// channel of interferogram_features) are >= coherent_level(looks); OK otherwise.
Status check_coherence(const float* coherence, std::size_t cells, int looks);

// Checks and formation in one pass over the pair (the per-tile path): interferogram_features
// with a SameTrackScan, then the pair's verdict, then, for a processable pair, check_coherence
// on the formed coherence (NO_COHERENCE replaces the pair's OK or degraded verdict). `out` and
// `scratch` as interferogram_features with height = width = side; `out` is written whatever the
// verdict (use it only when `status` is processable). Returns false, writing nothing, when
// interferogram_features refuses the arguments (`side` or `looks`).
bool same_track_features(const float* pre, const float* post, int side, int looks, float* out, double* scratch,
                         Status& status);

}  // namespace quakesat
