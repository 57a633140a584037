// Ground decoder of the downlink message: every byte read through the field table of
// message.hpp, the checks of ground/decode.py decode one by one in its order, the first
// failure returned (decode.hpp); and the packet checks every packet kind runs first
// (check_packet, ground/decode.py packet_fields), the thumbnail's decoder included.
#include "quakesat/decode.hpp"

namespace quakesat {
namespace {

constexpr std::uint8_t kProblemFlags = bit(Flag::kInputInvalid) | bit(Flag::kModelError) | bit(Flag::kDegraded);
constexpr std::uint8_t kTileOnlyFlags = bit(Flag::kEvent) | bit(Flag::kGated) | bit(Flag::kLocated);
constexpr std::uint8_t kReservedFlagBits = static_cast<std::uint8_t>(~(kProblemFlags | kTileOnlyFlags));

// `size` bytes at `offset`, big-endian.
std::uint32_t get(const std::uint8_t* data, std::size_t offset, std::size_t size) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | data[offset + i];
  return value;
}

// Field `which`, big-endian, as wide as the field's type.
std::uint32_t get(const std::uint8_t* data, Field which) {
  const MessageField& f = field(which);
  return get(data, f.offset, size_of(f.type));
}

bool defined(unsigned code) {
  for (Status s : kAllStatuses) {
    if (static_cast<unsigned>(s) == code) return true;
  }
  return false;
}

// The problem flag the status category sets (runtime/message.py CATEGORY_FLAGS).
std::uint8_t implied_flags(Status status) {
  switch (category_of(status)) {
    case Category::kOk: return 0;
    case Category::kDegraded:
    case Category::kResource: return bit(Flag::kDegraded);
    case Category::kBadInput: return bit(Flag::kInputInvalid);
    case Category::kModel: return bit(Flag::kModelError);
  }
  return 0;
}

Decoded rejected(Reject reject) {
  Decoded out;
  out.reject = reject;
  return out;
}

}  // namespace

// The primary header's fields lie where the 32-byte message has them in every packet kind
// (thumbnail.hpp checks its table against this one); the CRC is the last field of each.
PacketCheck check_packet(const std::uint8_t* data, std::size_t length, std::size_t packet_length,
                         std::uint16_t packet_data_length, std::uint16_t apid) {
  PacketCheck out;
  const auto failed = [&out](Reject reject) {
    out.reject = reject;
    return out;
  };
  if (data == nullptr) return failed(Reject::kNotBytes);
  if (length != packet_length) return failed(Reject::kBadLength);
  const std::size_t crc_size = size_of(field(Field::kCrc).type);
  const std::size_t crc_offset = packet_length - crc_size;
  if (get(data, crc_offset, crc_size) != crc16_ccitt_false(data, crc_offset)) return failed(Reject::kCrcMismatch);
  const std::uint32_t packet_id = get(data, Field::kPacketId);
  if (packet_id >> 13 != 0) return failed(Reject::kBadCcsdsVersion);  // packet version "000"
  if ((packet_id >> 12) & 1) return failed(Reject::kNotTelemetry);
  if ((packet_id >> 11) & 1) return failed(Reject::kSecondaryHeaderSet);
  if ((packet_id & kApidMax) != apid) return failed(Reject::kBadApid);
  const std::uint32_t sequence_control = get(data, Field::kPacketSequenceControl);
  if (sequence_control >> 14 != 0b11) return failed(Reject::kBadSequenceFlags);  // unsegmented
  if (get(data, Field::kPacketDataLength) != packet_data_length) return failed(Reject::kBadDataLength);
  out.seq = static_cast<std::uint16_t>(sequence_control & kSeqCountMax);
  return out;
}

Decoded decode(const std::uint8_t* data, std::size_t length, std::uint16_t apid) {
  const PacketCheck packet = check_packet(data, length, kMessageLength, kPacketDataLength, apid);
  if (packet.reject != Reject::kNone) return rejected(packet.reject);
  const std::uint32_t version_kind = get(data, Field::kVersionKind);
  if (version_kind >> 4 != kMessageVersion) return rejected(Reject::kUnknownVersion);
  const std::uint32_t kind_code = version_kind & 0x0F;
  if (kind_code != static_cast<unsigned>(Kind::kTileReport) && kind_code != static_cast<unsigned>(Kind::kHealth)) {
    return rejected(Reject::kUnknownKind);
  }
  const auto kind = static_cast<Kind>(kind_code);

  const auto flags = static_cast<std::uint8_t>(get(data, Field::kFlags));
  if (flags & kReservedFlagBits) return rejected(Reject::kReservedFlagsSet);
  const std::uint32_t reason = get(data, Field::kReason);
  if (!defined(reason)) return rejected(Reject::kUnknownStatus);
  const auto status = static_cast<Status>(reason);
  const std::uint8_t problems = flags & kProblemFlags;
  if (problems != implied_flags(status)) return rejected(Reject::kFlagsInconsistent);
  if (kind == Kind::kHealth && (flags & kTileOnlyFlags)) return rejected(Reject::kFlagsInconsistent);
  if ((flags & bit(Flag::kEvent)) && (problems & (bit(Flag::kInputInvalid) | bit(Flag::kModelError)))) {
    return rejected(Reject::kEventOnError);
  }
  const auto lat_raw = static_cast<std::int32_t>(get(data, Field::kLat));
  const auto lon_raw = static_cast<std::int32_t>(get(data, Field::kLon));
  if (!lat_raw_in_range(lat_raw)) return rejected(Reject::kLatOutOfRange);
  if (!lon_raw_in_range(lon_raw)) return rejected(Reject::kLonOutOfRange);

  Decoded out;
  out.kind = kind;
  const std::uint16_t seq = packet.seq;
  const double lat = lat_raw / kLatLonScale;
  const double lon = lon_raw / kLatLonScale;
  const double unit = get(data, Field::kConfidence) / kUnitScale;
  const std::uint32_t count = get(data, Field::kTileId);
  const std::uint32_t time = get(data, Field::kTime);
  const std::uint32_t last = get(data, Field::kMagnitude);
  const auto model_id = static_cast<std::uint16_t>(get(data, Field::kModelId));
  if (kind == Kind::kTileReport) {
    TileReport& r = out.tile;
    r.seq = seq;
    r.tile_id = count;
    r.time = time;
    r.lat = lat;
    r.lon = lon;
    r.magnitude = last / kMagnitudeScale;
    r.confidence = unit;
    r.model_id = model_id;
    r.status = status;
    r.event = flags & bit(Flag::kEvent);
    r.gated = flags & bit(Flag::kGated);
    r.located = flags & bit(Flag::kLocated);
    r.apid = apid;
  } else {
    HealthReport& r = out.health;
    r.seq = seq;
    r.time = time;
    r.lat = lat;
    r.lon = lon;
    r.tiles_processed = count;
    r.dropped = last;
    r.queue_fill = unit;
    r.model_id = model_id;
    r.status = status;
    r.apid = apid;
  }
  return out;
}

}  // namespace quakesat
