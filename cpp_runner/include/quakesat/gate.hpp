// The change gate and the change evidence it and the location use (runtime/change.py:
// GateVerdict, changed_share, change_peak).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quakesat {

constexpr int kChangeLooks = 3;
constexpr double kChangeThresholdDb = 3.0;
constexpr double kPeakWindow = 0.25;

struct GateVerdict {
  bool skip = false;
  bool identical = false;
  double statistic = 0.0;  // changed share; NaN when not computed or not computable
};

// Pixel-identical (NaN equal to NaN) pair: skipped. Else, with threshold > 0, the changed
// share decides (below the threshold: skipped). `count` floats per image.
GateVerdict judge_gate(const float* first, const float* second, std::size_t count, int side, double threshold);

// Share of 3 x 3-multilooked pixels whose intensity ratio is beyond +-3 dB in any band.
double changed_share(const float* first, const float* second, int side);

// Confidence of "no event" for a gated tile (runtime/flight.py _gate_confidence).
double gate_confidence(const GateVerdict& verdict, double threshold);

// Scratch the change peak needs for a side x side tile, in bytes.
std::size_t change_peak_scratch_bytes(int side);

// Pixel (row, col) of the densest change (runtime/change.py change_peak); false if nothing
// changed. `scratch` holds change_peak_scratch_bytes(side) bytes, 8-byte aligned.
bool change_peak(const float* first, const float* second, int side, void* scratch, double& row, double& col);

}  // namespace quakesat
