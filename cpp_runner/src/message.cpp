// Encoder of the downlink message; the field table is runtime/message.py FIELDS.
#include "quakesat/message.hpp"

#include <cmath>

#include "quakesat/crc16.hpp"

namespace quakesat {
namespace {

enum Flag : std::uint8_t {
  kEvent = 1 << 0,
  kInputInvalid = 1 << 1,
  kModelError = 1 << 2,
  kDegraded = 1 << 3,
  kGated = 1 << 4,
  kLocated = 1 << 5,
};

std::uint8_t category_flags(Status status) {
  switch (category_of(status)) {
    case Category::kOk: return 0;
    case Category::kDegraded:
    case Category::kResource: return kDegraded;
    case Category::kBadInput: return kInputInvalid;
    case Category::kModel: return kModelError;
  }
  return 0;
}

bool defined(Status status) {
  for (Status s : kAllStatuses) {
    if (s == status) return true;
  }
  return false;
}

// round(value * scale), half to even on the double product, as Python's round().
bool scaled(double value, double low, double high, double scale, double& raw) {
  if (std::isnan(value) || value < low || value > high) return false;
  raw = std::nearbyint(value * scale);
  return true;
}

void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

struct Common {
  std::uint16_t apid, seq;
  std::uint8_t kind, flags;
  Status status;
  std::uint8_t unit;
  std::uint32_t count, time;
  double lat, lon;
  std::uint16_t last, model_id;
};

bool write(const Common& c, std::uint8_t* out) {
  if (c.apid > 0x7FF || c.seq > kSeqCountMax || !defined(c.status)) return false;
  double lat = 0, lon = 0;
  if (!scaled(c.lat, -90.0, 90.0, kLatLonScale, lat) || !scaled(c.lon, -180.0, 180.0, kLatLonScale, lon)) {
    return false;
  }
  put16(out + 0, c.apid);                                  // version 0, TM, no secondary header
  put16(out + 2, (0b11u << 14) | c.seq);                   // unsegmented
  put16(out + 4, kMessageLength - 6 - 1);                  // packet data length
  out[6] = static_cast<std::uint8_t>((kMessageVersion << 4) | c.kind);
  out[7] = c.flags;
  out[8] = static_cast<std::uint8_t>(c.status);
  out[9] = c.unit;
  put32(out + 10, c.count);
  put32(out + 14, c.time);
  put32(out + 18, static_cast<std::uint32_t>(static_cast<std::int32_t>(lat)));
  put32(out + 22, static_cast<std::uint32_t>(static_cast<std::int32_t>(lon)));
  put16(out + 26, c.last);
  put16(out + 28, c.model_id);
  put16(out + 30, crc16_ccitt_false(out, kMessageLength - 2));
  return true;
}

}  // namespace

bool encode(const TileReport& r, std::uint8_t out[kMessageLength]) {
  const Category category = category_of(r.status);
  if (r.event && (category == Category::kBadInput || category == Category::kModel)) return false;
  double unit = 0, magnitude = 0;
  if (!scaled(r.confidence, 0.0, 1.0, kUnitScale, unit)) return false;
  if (!scaled(r.magnitude, 0.0, kMagnitudeMax, kMagnitudeScale, magnitude)) return false;
  std::uint8_t flags = category_flags(r.status);
  flags |= (r.event ? kEvent : 0) | (r.gated ? kGated : 0) | (r.located ? kLocated : 0);
  const Common c{r.apid, r.seq, 0, flags, r.status, static_cast<std::uint8_t>(unit), r.tile_id, r.time,
                 r.lat, r.lon, static_cast<std::uint16_t>(magnitude), r.model_id};
  return write(c, out);
}

bool encode(const HealthReport& r, std::uint8_t out[kMessageLength]) {
  double unit = 0;
  if (!scaled(r.queue_fill, 0.0, 1.0, kUnitScale, unit)) return false;
  const auto dropped = static_cast<std::uint16_t>(r.dropped > 0xFFFF ? 0xFFFF : r.dropped);
  const Common c{r.apid, r.seq, 1, category_flags(r.status), r.status, static_cast<std::uint8_t>(unit),
                 r.tiles_processed, r.time, r.lat, r.lon, dropped, r.model_id};
  return write(c, out);
}

}  // namespace quakesat
