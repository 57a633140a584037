// The 32-byte downlink message (docs/downlink.md, runtime/message.py): a CCSDS space packet
// primary header, a tile or health report, CRC-16/CCITT-FALSE. Byte-identical to the Python
// codec for identical inputs (checked on tests/vectors/downlink.jsonl).
#pragma once

#include <cstddef>
#include <cstdint>

#include "quakesat/status.hpp"

namespace quakesat {

constexpr std::size_t kMessageLength = 32;
constexpr int kMessageVersion = 1;
constexpr std::uint16_t kApid = 0x2C1;
constexpr std::uint16_t kSeqCountMax = 0x3FFF;
constexpr double kLatLonScale = 10'000'000.0;  // 1e-7 degree per unit
constexpr double kMagnitudeScale = 100.0;      // 0.01 mb per unit
constexpr double kMagnitudeMax = 655.35;
constexpr double kUnitScale = 255.0;           // confidence / queue fill

struct TileReport {
  std::uint16_t seq = 0;
  std::uint32_t tile_id = 0;
  std::uint32_t time = 0;
  double lat = 0.0;
  double lon = 0.0;
  double magnitude = 0.0;
  double confidence = 0.0;
  std::uint16_t model_id = 0;
  Status status = Status::kOk;
  bool event = false;
  bool gated = false;
  bool located = false;
  std::uint16_t apid = kApid;
};

struct HealthReport {
  std::uint16_t seq = 0;
  std::uint32_t time = 0;
  double lat = 0.0;
  double lon = 0.0;
  std::uint32_t tiles_processed = 0;
  std::uint64_t dropped = 0;  // saturates at 65535 when encoded
  double queue_fill = 0.0;
  std::uint16_t model_id = 0;
  Status status = Status::kOk;
  std::uint16_t apid = kApid;
};

// Write the message into `out`. Returns false (and writes nothing useful) when a field is out
// of its range, NaN, or an event is flagged on a bad-input or model status: the same inputs
// the Python encoder refuses.
bool encode(const TileReport& report, std::uint8_t out[kMessageLength]);
bool encode(const HealthReport& report, std::uint8_t out[kMessageLength]);

}  // namespace quakesat
