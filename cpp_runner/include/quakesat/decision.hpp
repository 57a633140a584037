// From head outputs to what a message says (runtime/decision.py, runtime/flight.py
// judge_heads, runtime/change.py head_to_pixel, runtime/tile.py pixel_to_latlon). The
// comparisons run in float32, as numpy compares a float32 array with a Python float.
#pragma once

namespace quakesat {

constexpr double kMaxPlausibleMagnitude = 10.0;
constexpr double kMetresPerDegree = 111'320.0;

struct Heads {
  bool has_event = false, has_magnitude = false, has_location = false;
  float event = 0.0f;      // probability
  float magnitude = 0.0f;  // mb
  float location[2] = {0.0f, 0.0f};  // (row, col) offset from the centre, half-tile units
};

struct DecisionConfig {
  double event_threshold = 0.5;
  double magnitude_min = 1.0;
  bool magnitude_given_event = false;
  bool magnitude_informative = true;  // false: magnitude 0 ("not estimated"), the head decides nothing
};

struct Judgement {
  bool valid = true;  // false: OUTPUT_INVALID
  bool event = false;
  double magnitude = 0.0;
  double confidence = 0.0;
};

Judgement judge_heads(const Heads& heads, const DecisionConfig& config);

// Pixel of the location head's estimate, clamped to the tile.
void head_to_pixel(const float offset[2], int side, double& row, double& col);

// Latitude/longitude of pixel (row, col) of a north-up side x side tile.
void pixel_to_latlon(double center_lat, double center_lon, double spacing_m, double row, double col, int side,
                     double& lat, double& lon);

}  // namespace quakesat
