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
constexpr std::uint16_t kApidMax = 0x7FF;       // 11 bits
constexpr std::uint16_t kSeqCountMax = 0x3FFF;  // 14 bits; wraps to 0
constexpr std::size_t kPrimaryHeaderLength = 6;
constexpr std::uint16_t kPacketDataLength = kMessageLength - kPrimaryHeaderLength - 1;  // CCSDS: bytes after - 1
constexpr double kLatLonScale = 10'000'000.0;  // 1e-7 degree per unit
constexpr double kMagnitudeScale = 100.0;      // 0.01 mb per unit
constexpr double kMagnitudeMax = 655.35;
constexpr double kUnitScale = 255.0;           // confidence / queue fill
constexpr std::uint16_t kDroppedMax = 0xFFFF;  // health reports saturate the dropped count here

// CRC-16/CCITT-FALSE closes every message: poly 0x1021, init 0xFFFF, no reflection, no final
// xor; the check value over "123456789" is 0x29B1.
constexpr std::uint16_t kCrc16Init = 0xFFFF;
constexpr std::uint16_t kCrc16Poly = 0x1021;
constexpr std::uint16_t kCrc16Check = 0x29B1;
std::uint16_t crc16_ccitt_false(const std::uint8_t* data, std::size_t length);

// Message kind, the low nibble of byte 6 (runtime/message.py Kind).
enum class Kind : std::uint8_t { kTileReport = 0, kHealth = 1 };

// Bits of the flags byte (runtime/message.py Flag).
enum class Flag : std::uint8_t {
  kEvent = 1 << 0,
  kInputInvalid = 1 << 1,
  kModelError = 1 << 2,
  kDegraded = 1 << 3,
  kGated = 1 << 4,
  kLocated = 1 << 5,
};

constexpr std::uint8_t bit(Flag flag) { return static_cast<std::uint8_t>(flag); }

// ─── the byte layout (runtime/message.py FIELDS), big-endian ────────────────────────────
enum class FieldType : std::uint8_t { kU8, kU16, kU32, kI32 };

constexpr std::size_t size_of(FieldType type) {
  return type == FieldType::kU8 ? 1 : type == FieldType::kU16 ? 2 : 4;
}

constexpr const char* type_name(FieldType type) {
  return type == FieldType::kU8 ? "u8" : type == FieldType::kU16 ? "u16" : type == FieldType::kU32 ? "u32" : "i32";
}

struct MessageField {
  const char* name;         // tile report meaning where the two kinds differ
  std::size_t offset;       // bytes from the start of the message
  FieldType type;
  const char* health_name;  // its name in a health report when it means something else there
};

// The fields in layout order; kMessageFields[static_cast<std::size_t>(Field::kX)] is field kX.
enum class Field : std::size_t {
  kPacketId, kPacketSequenceControl, kPacketDataLength, kVersionKind, kFlags, kReason, kConfidence,
  kTileId, kTime, kLat, kLon, kMagnitude, kModelId, kCrc, kCount,
};

inline constexpr MessageField kMessageFields[static_cast<std::size_t>(Field::kCount)] = {
    {"packet_id", 0, FieldType::kU16, nullptr},  // version(3) type(1) secondary header flag(1) APID(11)
    {"packet_sequence_control", 2, FieldType::kU16, nullptr},  // sequence flags(2) count(14)
    {"packet_data_length", 4, FieldType::kU16, nullptr},
    {"version_kind", 6, FieldType::kU8, nullptr},  // message version (high nibble), kind (low nibble)
    {"flags", 7, FieldType::kU8, nullptr},
    {"reason", 8, FieldType::kU8, nullptr},
    {"confidence", 9, FieldType::kU8, "queue_fill"},
    {"tile_id", 10, FieldType::kU32, "tiles_processed"},
    {"time", 14, FieldType::kU32, nullptr},
    {"lat", 18, FieldType::kI32, nullptr},
    {"lon", 22, FieldType::kI32, nullptr},
    {"magnitude", 26, FieldType::kU16, "dropped"},
    {"model_id", 28, FieldType::kU16, nullptr},
    {"crc", 30, FieldType::kU16, nullptr},
};

constexpr const MessageField& field(Field which) { return kMessageFields[static_cast<std::size_t>(which)]; }

// No gaps, no overlaps, the whole message, the CRC last (runtime/message.py _check_layout).
constexpr bool layout_is_whole() {
  std::size_t offset = 0;
  for (const MessageField& f : kMessageFields) {
    if (f.offset != offset) return false;
    offset += size_of(f.type);
  }
  return offset == kMessageLength && field(Field::kCrc).offset + 2 == kMessageLength;
}
static_assert(layout_is_whole(), "the field table must tile the 32-byte message, CRC last");

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

// Encode `report`; if the codec refuses it, turn it into what both runtimes send instead
// (status OUTPUT_INVALID, no event/gated/located flag, magnitude and confidence 0, at the
// tile centre `centre_lat`/`centre_lon`, or 0/0 if that is out of range too) and encode
// that. Returns false when the report had to be replaced; `out` always holds this tile's
// message.
bool encode_or_invalid(TileReport& report, double centre_lat, double centre_lon, std::uint8_t out[kMessageLength]);

}  // namespace quakesat
