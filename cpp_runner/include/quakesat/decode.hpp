// The ground decoder of the downlink message (ground/decode.py decode): 32 bytes back into the
// tile or health report of message.hpp, or the first check they fail, named by the Python
// decoder's stable code (DecodeError.reason, REJECT_REASONS) and checked in its order
// (docs/downlink.md "Decoding: reject reasons, in order"). Tested on the golden vectors
// tests/vectors/downlink.jsonl and downlink_invalid.jsonl. Never throws, never allocates; not
// part of the flight path (the runner only encodes). The checks every packet kind runs first
// (check_packet) live here too: the thumbnail's decoder (thumbnail.hpp) runs them as well.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "quakesat/message.hpp"

namespace quakesat {

// Why a message was rejected, in the order the checks run; kNone: it was not. kNotBytes..
// kBadDataLength are check_packet's, the first checks of every packet kind.
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

// ─── the checks every packet kind runs first (ground/decode.py packet_fields) ───────────
// The codes of Reject::kNotBytes..kBadDataLength, in that order (ground/decode.py
// PACKET_REJECT_REASONS): the first reasons of every packet kind's decoder.
inline constexpr const char* kPacketRejectReasons[] = {
    "not_bytes", "bad_length", "crc_mismatch", "bad_ccsds_version", "not_telemetry", "secondary_header_set",
    "bad_apid", "bad_sequence_flags", "bad_data_length",
};
constexpr std::size_t kPacketRejectReasonCount = sizeof kPacketRejectReasons / sizeof kPacketRejectReasons[0];
static_assert(kPacketRejectReasonCount == static_cast<std::size_t>(Reject::kBadDataLength),
              "one code per packet reject reason");

// kPacketRejectReasons followed by a packet kind's own reasons (`own`, in the order its checks run).
template <std::size_t N>
constexpr std::array<const char*, kPacketRejectReasonCount + N> with_packet_reasons(const char* const (&own)[N]) {
  std::array<const char*, kPacketRejectReasonCount + N> all{};
  for (std::size_t i = 0; i < kPacketRejectReasonCount; ++i) all[i] = kPacketRejectReasons[i];
  for (std::size_t i = 0; i < N; ++i) all[kPacketRejectReasonCount + i] = own[i];
  return all;
}

// The stable code of `reject` ("crc_mismatch") among `reasons`, the codes of its enum's values
// from kNotBytes on; "" for kNone.
template <class RejectEnum, std::size_t N>
constexpr const char* reject_code_in(RejectEnum reject, const std::array<const char*, N>& reasons) {
  return reject == RejectEnum::kNone ? "" : reasons[static_cast<std::size_t>(reject) - 1];
}

// What check_packet found: `reject` is kNone or the first failed check, one of
// Reject::kNotBytes..kBadDataLength (a packet kind with its own reject enum, such as
// ThumbnailReject, gives these the same values); `seq` is the packet's sequence count.
struct PacketCheck {
  Reject reject = Reject::kNone;
  std::uint16_t seq = 0;
};

// The checks every quakesat packet passes before its own, in this order: bytes at all,
// `packet_length` of them, the CRC-16 of message.hpp over all but the last two, then the CCSDS
// primary header in bytes 0..5 (version 0, telemetry, no secondary header, APID `apid`,
// unsegmented, packet data length `packet_data_length`). Never throws, never allocates.
PacketCheck check_packet(const std::uint8_t* data, std::size_t length, std::size_t packet_length,
                         std::uint16_t packet_data_length, std::uint16_t apid);

// A raw latitude / longitude (1e-7 degree) within ±90° / ±180°: the checks both decoders end
// with (ground/decode.py LAT_RAW_MAX, LON_RAW_MAX).
constexpr bool lat_raw_in_range(std::int32_t raw) { return raw >= -900'000'000 && raw <= 900'000'000; }
constexpr bool lon_raw_in_range(std::int32_t raw) { return raw >= -1'800'000'000 && raw <= 1'800'000'000; }

// ─── the 32-byte message ────────────────────────────────────────────────────────────────
// The codes of kNotBytes..kLonOutOfRange, in that order (ground/decode.py REJECT_REASONS).
inline constexpr auto kRejectReasons = with_packet_reasons({
    "unknown_version", "unknown_kind", "reserved_flags_set", "unknown_status", "flags_inconsistent", "event_on_error",
    "lat_out_of_range", "lon_out_of_range",
});
constexpr std::size_t kRejectReasonCount = kRejectReasons.size();
static_assert(kRejectReasonCount == static_cast<std::size_t>(Reject::kLonOutOfRange),
              "one code per reject reason");

// The stable code of `reject` ("crc_mismatch"); "" for kNone.
constexpr const char* reject_code(Reject reject) { return reject_code_in(reject, kRejectReasons); }

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
