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

// The verdict on one image from its scan (shape already checked).
Status judge_scan(const ImageScan& scan, const PreprocessConfig& config);

// The pair's verdict: the first non-processable one (first image first), else the first degradation.
Status pair_verdict(Status first, Status second);

// One H x W x 2 image that should be side x side.
Status check_image(const float* image, int height, int width, int side, const PreprocessConfig& config);

// The pair: the first non-processable verdict (first image first), else the first degradation.
Status check_pair(const float* first, int first_h, int first_w, const float* second, int second_h, int second_w,
                  int side, const PreprocessConfig& config);

}  // namespace quakesat
