// Preprocessing, mirroring runtime/preprocess.py operation for operation (see its module doc).
#include "quakesat/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quakesat {

void preprocess_image(const float* image, int height, int width, const PreprocessConfig& config, float* out) {
  const int k = config.downsample;
  const int out_h = height / k, out_w = width / k;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int band = 0; band < kBands; ++band) {
    const double mean = config.mean_db[band], std_db = config.std_db[band];
    float* plane = out + static_cast<std::size_t>(band) * out_h * out_w;
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        double db;
        if (config.units_db && k == 1) {
          const double v = image[(static_cast<std::size_t>(y) * width + x) * kBands + band];
          db = std::isfinite(v) ? v : nan;
        } else {
          double total = 0.0;
          long count = 0;
          for (int row = 0; row < k; ++row) {  // row-major block sum, as numpy's strided views
            for (int col = 0; col < k; ++col) {
              const double raw = image[(static_cast<std::size_t>(y * k + row) * width + (x * k + col)) * kBands + band];
              double v = std::isfinite(raw) ? raw : nan;
              if (config.units_db) v = std::pow(10.0, v / 10.0);
              if (std::isfinite(v)) {
                total += v;
                ++count;
              } else {
                total += 0.0;
              }
            }
          }
          const double linear = count > 0 ? total / static_cast<double>(count) : nan;
          db = std::isnan(linear) ? nan : 10.0 * std::log10(std::max(linear, config.floor_linear));
        }
        if (std::isnan(db)) db = mean;
        db = std::min(std::max(db, config.clip_db[0]), config.clip_db[1]);
        plane[static_cast<std::size_t>(y) * out_w + x] = static_cast<float>((db - mean) / std_db);
      }
    }
  }
}

void preprocess_pair(const float* first, const float* second, int height, int width,
                     const PreprocessConfig& config, float* out) {
  const std::size_t plane = static_cast<std::size_t>(height / config.downsample) * (width / config.downsample);
  preprocess_image(first, height, width, config, out);
  preprocess_image(second, height, width, config, out + kBands * plane);
}

}  // namespace quakesat
