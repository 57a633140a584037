// Encoder of the downlink message: every byte goes through the field table of message.hpp
// (runtime/message.py FIELDS; tests/vectors/flight_constants.json checks it).
#include "quakesat/message.hpp"

#include <cmath>

namespace quakesat {

// Bitwise: 30 bytes per message do not justify a lookup table.
std::uint16_t crc16_ccitt_false(const std::uint8_t* data, std::size_t length) {
  std::uint16_t crc = kCrc16Init;
  for (std::size_t i = 0; i < length; ++i) {
    crc ^= static_cast<std::uint16_t>(data[i]) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ kCrc16Poly)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

namespace {

std::uint8_t category_flags(Status status) {
  switch (category_of(status)) {
    case Category::kOk: return 0;
    case Category::kDegraded:
    case Category::kResource: return bit(Flag::kDegraded);
    case Category::kBadInput: return bit(Flag::kInputInvalid);
    case Category::kModel: return bit(Flag::kModelError);
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

// `value` into field `which`, big-endian, as wide as the field's type.
void put(std::uint8_t* out, Field which, std::uint32_t value) {
  const MessageField& f = field(which);
  const std::size_t size = size_of(f.type);
  for (std::size_t i = 0; i < size; ++i) out[f.offset + i] = static_cast<std::uint8_t>(value >> (8 * (size - 1 - i)));
}

struct Common {
  std::uint16_t apid, seq;
  Kind kind;
  std::uint8_t flags;
  Status status;
  std::uint8_t unit;
  std::uint32_t count, time;
  double lat, lon;
  std::uint16_t last, model_id;
};

bool write(const Common& c, std::uint8_t* out) {
  if (c.apid > kApidMax || c.seq > kSeqCountMax || !defined(c.status)) return false;
  double lat = 0, lon = 0;
  if (!scaled(c.lat, -90.0, 90.0, kLatLonScale, lat) || !scaled(c.lon, -180.0, 180.0, kLatLonScale, lon)) {
    return false;
  }
  put(out, Field::kPacketId, c.apid);  // version 0, TM, no secondary header
  put(out, Field::kPacketSequenceControl, (0b11u << 14) | c.seq);  // unsegmented
  put(out, Field::kPacketDataLength, kPacketDataLength);
  put(out, Field::kVersionKind, (kMessageVersion << 4) | static_cast<unsigned>(c.kind));
  put(out, Field::kFlags, c.flags);
  put(out, Field::kReason, static_cast<std::uint8_t>(c.status));
  put(out, Field::kConfidence, c.unit);
  put(out, Field::kTileId, c.count);
  put(out, Field::kTime, c.time);
  put(out, Field::kLat, static_cast<std::uint32_t>(static_cast<std::int32_t>(lat)));
  put(out, Field::kLon, static_cast<std::uint32_t>(static_cast<std::int32_t>(lon)));
  put(out, Field::kMagnitude, c.last);
  put(out, Field::kModelId, c.model_id);
  put(out, Field::kCrc, crc16_ccitt_false(out, field(Field::kCrc).offset));
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
  flags |= (r.event ? bit(Flag::kEvent) : 0) | (r.gated ? bit(Flag::kGated) : 0) |
           (r.located ? bit(Flag::kLocated) : 0);
  const Common c{r.apid, r.seq, Kind::kTileReport, flags, r.status, static_cast<std::uint8_t>(unit), r.tile_id, r.time,
                 r.lat, r.lon, static_cast<std::uint16_t>(magnitude), r.model_id};
  return write(c, out);
}

bool encode_or_invalid(TileReport& r, double centre_lat, double centre_lon, std::uint8_t out[kMessageLength]) {
  if (encode(r, out)) return true;
  r.lat = centre_lat;
  r.lon = centre_lon;
  r.magnitude = 0.0;
  r.confidence = 0.0;
  r.status = Status::kOutputInvalid;
  r.event = r.gated = r.located = false;
  if (!encode(r, out)) {  // the centre itself out of range: the no-georeference place
    r.lat = r.lon = 0.0;
    encode(r, out);
  }
  return false;
}

bool encode(const HealthReport& r, std::uint8_t out[kMessageLength]) {
  double unit = 0;
  if (!scaled(r.queue_fill, 0.0, 1.0, kUnitScale, unit)) return false;
  const auto dropped = static_cast<std::uint16_t>(r.dropped > kDroppedMax ? kDroppedMax : r.dropped);
  const Common c{r.apid, r.seq, Kind::kHealth, category_flags(r.status), r.status, static_cast<std::uint8_t>(unit),
                 r.tiles_processed, r.time, r.lat, r.lon, dropped, r.model_id};
  return write(c, out);
}

}  // namespace quakesat
