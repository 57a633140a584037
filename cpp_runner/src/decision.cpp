// Decision rule, output checks and location arithmetic (see decision.hpp for the Python twins).
#include "quakesat/decision.hpp"

#include <algorithm>
#include <cmath>

#include "quakesat/message.hpp"

namespace quakesat {

Judgement judge_heads(const Heads& h, const DecisionConfig& config) {
  Judgement j;
  const bool finite = (!h.has_event || std::isfinite(h.event)) && (!h.has_magnitude || std::isfinite(h.magnitude)) &&
                      (!h.has_location || (std::isfinite(h.location[0]) && std::isfinite(h.location[1])));
  if (!finite || (h.has_event && (h.event < 0.0f || h.event > 1.0f)) ||
      (h.has_magnitude && h.magnitude > kMaxPlausibleMagnitude)) {
    j.valid = false;
    return j;
  }
  bool event = true;
  if (h.has_event) event &= h.event >= static_cast<float>(config.event_threshold);
  float magnitude = 0.0f;
  if (h.has_magnitude) {
    // A head no better than a constant neither decides the flag nor reports a number (0:
    // "not estimated"), except in a magnitude-only model, where it is the detector.
    if (config.magnitude_informative || !h.has_event) event &= h.magnitude >= static_cast<float>(config.magnitude_min);
    if (config.magnitude_informative) magnitude = config.magnitude_given_event ? (event ? h.magnitude : 0.0f) : h.magnitude;
  }
  float confidence = 1.0f;
  if (h.has_event) confidence = event ? h.event : 1.0f - h.event;
  confidence = std::min(std::max(confidence, 0.0f), 1.0f);
  magnitude = std::min(std::max(magnitude, 0.0f), static_cast<float>(kMagnitudeMax));
  j.event = event;
  j.magnitude = magnitude;
  j.confidence = confidence;
  return j;
}

void head_to_pixel(const float offset[2], int side, double& row, double& col) {
  const double centre = (side - 1) / 2.0;
  const double d_row = std::min(std::max(static_cast<double>(offset[0]), -1.0), 1.0);
  const double d_col = std::min(std::max(static_cast<double>(offset[1]), -1.0), 1.0);
  row = centre + d_row * side / 2.0;
  col = centre + d_col * side / 2.0;
}

void pixel_to_latlon(double center_lat, double center_lon, double spacing_m, double row, double col, int side,
                     double& lat, double& lon) {
  const double centre = (side - 1) / 2.0;
  const double north_m = (centre - row) * spacing_m;
  const double east_m = (col - centre) * spacing_m;
  lat = center_lat + north_m / kMetresPerDegree;
  const double radians = center_lat * (3.14159265358979323846 / 180.0);
  lon = center_lon + east_m / (kMetresPerDegree * std::max(std::cos(radians), 1e-6));
  lat = std::min(std::max(lat, -90.0), 90.0);
  if (std::fabs(lon) > 180.0) {  // Python's (lon + 180) % 360 - 180: the remainder takes the divisor's sign
    double mod = std::fmod(lon + 180.0, 360.0);
    if (mod != 0.0 && mod < 0.0) mod += 360.0;
    lon = mod - 180.0;
  }
}

}  // namespace quakesat
