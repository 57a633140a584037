// Input checks before the model (runtime/tile.py): a bad tile becomes a status. Same
// checks, same order, same thresholds; dtype and band count are the file reader's job.
#pragma once

#include "quakesat/preprocess.hpp"
#include "quakesat/status.hpp"

namespace quakesat {

constexpr double kMaxLinear = 1e4;   // +40 dB
constexpr double kMinDb = -80.0;
constexpr double kMaxNodata = 0.5;
constexpr double kMaxClipped = 0.01;
// Share of a band's valid pixels above which one value (or the clip range's one end) is a fill.
// At least 0.5, so that one value at most can hold it and a majority vote finds that value.
constexpr double kMaxRepeated = 0.5;
static_assert(kMaxRepeated >= 0.5, "the fill rule's majority vote needs kMaxRepeated >= 0.5");

// The verdict on one image from its scan (shape already checked), in this order:
//  NON_FINITE      any +-Inf
//  ALL_NODATA      no valid (finite) value
//  MOSTLY_NODATA   more than kMaxNodata of all values NaN
//  ALL_NODATA      one band without a valid pixel (both bands checked first)
//  MOSTLY_NODATA   more than kMaxNodata of one band's pixels NaN
//  ALL_ZERO        every valid value 0
//  CONSTANT        a fill: in one band, more than kMaxRepeated of the valid pixels equal (float ==,
//                  so +0 and -0 are one value) to one value, whatever a few stray pixels say.
//                  The scan's differing pairs rule a band out at once when they are at least half
//                  its valid pixels; otherwise a majority vote over the band's valid values in
//                  `image` (no allocation) finds the one candidate, and its count decides
//  OUT_OF_RANGE    a value outside the sensor's range (linear 0..kMaxLinear, dB kMinDb..+40)
//  CONSTANT        in one band, more than kMaxRepeated of the valid pixels beyond the clip range
//                  (either end: one value once clipped; all subnormal, say)
//  PARTIAL_NODATA  some value NaN (degraded)
//  VALUES_CLIPPED  more than kMaxClipped of all valid values beyond the clip range (degraded)
//  OK
// `image` is the H x W x 2 image the scan was taken of (scan.values floats).
Status judge_scan(const ImageScan& scan, const float* image, const PreprocessConfig& config);

// The pair's verdict: the first non-processable one (first image first), else the first degradation.
Status pair_verdict(Status first, Status second);

// One H x W x 2 image that should be side x side.
Status check_image(const float* image, int height, int width, int side, const PreprocessConfig& config);

// The pair: the first non-processable verdict (first image first), else the first degradation.
Status check_pair(const float* first, int first_h, int first_w, const float* second, int second_h, int second_w,
                  int side, const PreprocessConfig& config);

}  // namespace quakesat
