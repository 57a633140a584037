// The ground decoder of the downlink message (ground/decode.py decode): 32 bytes back into the
// tile or health report of message.hpp, or the first check they fail, named by the Python
// decoder's stable code (DecodeError.reason, REJECT_REASONS) and checked in its order
// (docs/downlink.md "Decoding: reject reasons, in order"). Tested on the golden vectors
// tests/vectors/downlink.jsonl and downlink_invalid.jsonl. Never throws, never allocates; not
// part of the flight path (the runner only encodes).
#pragma once

#include <cstddef>
#include <cstdint>

#include "quakesat/message.hpp"

namespace quakesat {

// Why a message was rejected, in the order the checks run; kNone: it was not.
enum class Reject : std::uint8_t {
  kNone,
  kNotBytes,  // no bytes at all (a null pointer): Python's "not bytes-like"
  kBadLength,
  kCrcMismatch,
  kBadCcsdsVersion,
  kNotTelemetry,
  kSecondaryHeaderSet,
  kBadApid,
  kBadSequenceFlags,
  kBadDataLength,
  kUnknownVersion,
  kUnknownKind,
  kReservedFlagsSet,
  kUnknownStatus,
  kFlagsInconsistent,
  kEventOnError,
  kLatOutOfRange,
  kLonOutOfRange,
};

// The codes of kNotBytes..kLonOutOfRange, in that order (ground/decode.py REJECT_REASONS).
inline constexpr const char* kRejectReasons[] = {
    "not_bytes", "bad_length", "crc_mismatch", "bad_ccsds_version", "not_telemetry", "secondary_header_set",
    "bad_apid", "bad_sequence_flags", "bad_data_length", "unknown_version", "unknown_kind", "reserved_flags_set",
    "unknown_status", "flags_inconsistent", "event_on_error", "lat_out_of_range", "lon_out_of_range",
};
constexpr std::size_t kRejectReasonCount = sizeof kRejectReasons / sizeof kRejectReasons[0];
static_assert(kRejectReasonCount == static_cast<std::size_t>(Reject::kLonOutOfRange),
              "one code per reject reason");

// The stable code of `reject` ("crc_mismatch"); "" for kNone.
constexpr const char* reject_code(Reject reject) {
  return reject == Reject::kNone ? "" : kRejectReasons[static_cast<std::size_t>(reject) - 1];
}

// A decoded message: `kind` says which of `tile` and `health` it is, when `reject` is kNone.
// Floats are the quantized values (lat = raw / 1e7, magnitude = raw / 100, confidence and
// queue fill = raw / 255, each one IEEE division as in Python), so encoding the report again
// gives back the same 32 bytes.
struct Decoded {
  Reject reject = Reject::kNone;
  Kind kind = Kind::kTileReport;
  TileReport tile;
  HealthReport health;
  bool ok() const { return reject == Reject::kNone; }
};

// Decode and validate `length` bytes at `data` as one message of APID `apid`.
Decoded decode(const std::uint8_t* data, std::size_t length, std::uint16_t apid = kApid);

}  // namespace quakesat
