// Change gate and change evidence, mirroring runtime/change.py (GateVerdict, changed_share,
// change_peak; block sums in row-major order, as numpy's strided views add them).
#include "quakesat/gate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quakesat {
namespace {

constexpr int kBands = 2;

// 3 x 3 box mean of one band's linear values; NaN if a pixel in the block is non-finite or <= 0.
double block_mean(const float* image, int side, int by, int bx, int band) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double total = 0.0;
  for (int row = 0; row < kChangeLooks; ++row) {
    for (int col = 0; col < kChangeLooks; ++col) {
      const double v = image[(static_cast<std::size_t>(by * kChangeLooks + row) * side + (bx * kChangeLooks + col)) *
                             kBands + band];
      total += (std::isfinite(v) && v > 0) ? v : nan;
    }
  }
  return total / (kChangeLooks * kChangeLooks);
}

}  // namespace

double changed_share(const float* first, const float* second, int side) {
  const int blocks = side / kChangeLooks;
  const double factor = std::pow(10.0, kChangeThresholdDb / 10.0);
  std::size_t valid = 0, changed = 0;
  for (int by = 0; by < blocks; ++by) {
    for (int bx = 0; bx < blocks; ++bx) {
      bool all_finite = true, any_changed = false;
      for (int band = 0; band < kBands; ++band) {
        const double before = block_mean(first, side, by, bx, band);
        const double after = block_mean(second, side, by, bx, band);
        all_finite &= std::isfinite(before) && std::isfinite(after);
        any_changed |= (after > before * factor) || (before > after * factor);
      }
      if (all_finite) {
        ++valid;
        changed += any_changed;
      }
    }
  }
  if (valid == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(changed) / static_cast<double>(valid);
}

GateVerdict judge_gate(const float* first, const float* second, std::size_t count, int side, double threshold) {
  bool identical = true;
  for (std::size_t i = 0; i < count && identical; ++i) {
    identical = first[i] == second[i] || (std::isnan(first[i]) && std::isnan(second[i]));
  }
  if (identical) return {true, true, 0.0};
  if (threshold <= 0.0) return {false, false, std::numeric_limits<double>::quiet_NaN()};
  const double statistic = changed_share(first, second, side);
  if (std::isnan(statistic)) return {false, false, statistic};
  return {statistic < threshold, false, statistic};
}

double gate_confidence(const GateVerdict& verdict, double threshold) {
  if (verdict.identical || threshold <= 0.0) return 1.0;
  return std::min(std::max(1.0 - 0.5 * verdict.statistic / threshold, 0.5), 1.0);
}

std::size_t change_peak_scratch_bytes(int side) {
  const std::size_t blocks = static_cast<std::size_t>(side / kChangeLooks);
  return blocks * blocks + (blocks + 1) * (blocks + 1) * sizeof(std::int64_t) + sizeof(std::int64_t);
}

bool change_peak(const float* first, const float* second, int side, void* scratch, double& row, double& col) {
  const int n = side / kChangeLooks;
  auto* table = static_cast<std::int64_t*>(scratch);  // (n+1) x (n+1) summed-area table
  auto* changed = reinterpret_cast<std::uint8_t*>(table + static_cast<std::size_t>(n + 1) * (n + 1));
  bool any = false;
  for (int by = 0; by < n; ++by) {
    for (int bx = 0; bx < n; ++bx) {
      bool hit = false;
      for (int band = 0; band < kBands; ++band) {
        const double ratio = 10.0 * std::log10(block_mean(second, side, by, bx, band) /
                                               block_mean(first, side, by, bx, band));
        hit |= std::fabs(ratio) > kChangeThresholdDb;  // false for NaN, as numpy's comparison
      }
      changed[static_cast<std::size_t>(by) * n + bx] = hit;
      any |= hit;
    }
  }
  if (!any) return false;
  const int size = static_cast<int>(std::min<double>(std::max<double>(std::nearbyint(kPeakWindow * n), 1.0), n));
  for (int x = 0; x <= n; ++x) table[x] = 0;
  for (int y = 1; y <= n; ++y) {
    table[static_cast<std::size_t>(y) * (n + 1)] = 0;
    std::int64_t row_sum = 0;
    for (int x = 1; x <= n; ++x) {
      row_sum += changed[static_cast<std::size_t>(y - 1) * n + (x - 1)];
      table[static_cast<std::size_t>(y) * (n + 1) + x] = table[static_cast<std::size_t>(y - 1) * (n + 1) + x] + row_sum;
    }
  }
  auto at = [&](int y, int x) { return table[static_cast<std::size_t>(y) * (n + 1) + x]; };
  std::int64_t best = -1;
  int top = 0, left = 0;
  for (int y = 0; y + size <= n; ++y) {  // first maximum in row-major order, as numpy's argmax
    for (int x = 0; x + size <= n; ++x) {
      const std::int64_t sum = at(y + size, x + size) - at(y, x + size) - at(y + size, x) + at(y, x);
      if (sum > best) {
        best = sum;
        top = y;
        left = x;
      }
    }
  }
  std::int64_t rows = 0, cols = 0, hits = 0;
  for (int y = top; y < top + size; ++y) {
    for (int x = left; x < left + size; ++x) {
      if (changed[static_cast<std::size_t>(y) * n + x]) {
        rows += y - top;
        cols += x - left;
        ++hits;
      }
    }
  }
  const double half = (kChangeLooks - 1) / 2.0;
  row = (static_cast<double>(rows) / hits + top) * kChangeLooks + half;
  col = (static_cast<double>(cols) / hits + left) * kChangeLooks + half;
  return true;
}

}  // namespace quakesat
