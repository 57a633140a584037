// The deformation thumbnail (docs/downlink.md "Thumbnail (APID 0x2C2)", runtime/thumbnail.py):
// the 160-byte follow-up of a cued alert, a CCSDS space packet of its own APID carrying a
// 16 x 16 grid of 4-bit codes of the tile's wrapped line-of-sight motion (0..14 phase steps
// over [-pi, pi), 15 no coherent signal), closed by the CRC-16/CCITT-FALSE of message.hpp.
// Encoder and ground decoder, byte-identical to the Python codec and with the same reject
// reasons in the same order (ground/thumbnail_decode.py); tested on
// tests/vectors/thumbnail.jsonl and thumbnail_invalid.jsonl (cpp_runner/tests/test_thumbnail.cpp).
// The codes are computed on board by the Python quantiser (thumbnail_from_interferogram);
// this side encodes and decodes them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "quakesat/decode.hpp"
#include "quakesat/message.hpp"

namespace quakesat {

constexpr std::uint16_t kThumbnailApid = 0x2C2;  // the 32-byte messages' kApid + 1
constexpr int kThumbnailVersion = 1;             // high nibble of byte 6
constexpr int kThumbnailKind = 2;                // low nibble of byte 6 (tile report 0, health 1)
constexpr std::size_t kThumbnailLength = 160;
constexpr std::uint16_t kThumbnailPacketDataLength = kThumbnailLength - kPrimaryHeaderLength - 1;
constexpr std::size_t kThumbnailSide = 16;  // rows = cols
constexpr std::size_t kThumbnailCells = kThumbnailSide * kThumbnailSide;
constexpr std::size_t kThumbnailCodesLength = kThumbnailCells / 2;  // two 4-bit codes per byte
constexpr std::uint8_t kThumbnailCodeMax = 15;
constexpr std::uint8_t kThumbnailNoSignal = 15;  // no coherent signal in the cell
constexpr int kThumbnailPhaseSteps = 15;         // codes 0..14 over [-pi, pi)
constexpr int kThumbnailZeroCode = 7;            // the step centred on phase 0
constexpr std::uint16_t kThumbnailCellMin = 1;   // a cell of 0 m is no geometry
// Sentinel-1 C-band wavelength (runtime/thumbnail.py WAVELENGTH_M); a code step is lambda / 30.
constexpr double kWavelengthM = 0.055465;
constexpr double kLosStepMm = kWavelengthM / 2 / kThumbnailPhaseSteps * 1000;  // Python's LOS_STEP_MM, same operations

// ─── the byte layout (runtime/thumbnail.py THUMBNAIL_FIELDS), big-endian ─────────────────
enum class ThumbnailField : std::size_t {
  kPacketId, kPacketSequenceControl, kPacketDataLength, kVersionKind, kFlags, kTileId, kTime, kLat, kLon,
  kRows, kCols, kCellM, kModelId, kCodes, kCrc, kCount,
};

struct ThumbnailFieldInfo {
  const char* name;
  std::size_t offset;  // bytes from the start of the packet
  std::size_t size;    // bytes
};

inline constexpr ThumbnailFieldInfo kThumbnailFields[static_cast<std::size_t>(ThumbnailField::kCount)] = {
    {"packet_id", 0, 2},  // version(3) type(1) secondary header flag(1) APID(11)
    {"packet_sequence_control", 2, 2},  // sequence flags(2) count(14)
    {"packet_data_length", 4, 2},
    {"version_kind", 6, 1},  // thumbnail version (high nibble), kind 2 (low nibble)
    {"flags", 7, 1},         // none defined in version 1: every bit reserved, must be 0
    {"tile_id", 8, 4},
    {"time", 12, 4},
    {"lat", 16, 4},  // i32, 1e-7 degree
    {"lon", 20, 4},  // i32, 1e-7 degree
    {"rows", 24, 1},
    {"cols", 25, 1},
    {"cell_m", 26, 2},
    {"model_id", 28, 2},
    {"codes", 30, kThumbnailCodesLength},  // high nibble first, row-major
    {"crc", 30 + kThumbnailCodesLength, 2},
};

constexpr const ThumbnailFieldInfo& field(ThumbnailField which) {
  return kThumbnailFields[static_cast<std::size_t>(which)];
}

constexpr bool thumbnail_layout_is_whole() {
  std::size_t offset = 0;
  for (const ThumbnailFieldInfo& f : kThumbnailFields) {
    if (f.offset != offset) return false;
    offset += f.size;
  }
  return offset == kThumbnailLength && field(ThumbnailField::kCrc).offset + 2 == kThumbnailLength;
}
static_assert(thumbnail_layout_is_whole(), "the field table must tile the 160-byte thumbnail, CRC last");
static_assert(field(ThumbnailField::kPacketId).offset == field(Field::kPacketId).offset &&
                  field(ThumbnailField::kPacketSequenceControl).offset == field(Field::kPacketSequenceControl).offset &&
                  field(ThumbnailField::kPacketDataLength).offset == field(Field::kPacketDataLength).offset &&
                  field(ThumbnailField::kVersionKind).offset == kPrimaryHeaderLength,
              "the primary header where the 32-byte message has it, where check_packet (decode.hpp) reads it");

struct Thumbnail {
  std::uint16_t seq = 0;
  std::uint32_t tile_id = 0;
  std::uint32_t time = 0;
  double lat = 0.0;  // tile centre, degrees
  double lon = 0.0;
  std::uint16_t cell_m = 0;  // 1..65535
  std::uint16_t model_id = 0;
  std::array<std::uint8_t, kThumbnailCells> codes{};  // row-major, each 0..15
  std::uint16_t apid = kThumbnailApid;
};

using ThumbnailBytes = std::array<std::uint8_t, kThumbnailLength>;

// Write the packet into `out`. Returns false (and writes nothing useful) when a field is out of
// its range or NaN (apid, seq, lat, lon, cell_m 0, a code above 15): the inputs the Python
// encoder refuses. Allocates nothing.
bool encode_thumbnail(const Thumbnail& thumbnail, ThumbnailBytes& out);

// Why a thumbnail was rejected, in the order the checks run; kNone: it was not. kNotBytes..
// kBadDataLength are check_packet's (decode.hpp), with the values they have in Reject.
enum class ThumbnailReject : std::uint8_t {
  kNone,
  kNotBytes,  // no bytes at all (a null pointer)
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
  kBadGrid,
  kLatOutOfRange,
  kLonOutOfRange,
};

static_assert(static_cast<std::size_t>(ThumbnailReject::kBadDataLength) == kPacketRejectReasonCount &&
                  static_cast<std::size_t>(ThumbnailReject::kUnknownVersion) == kPacketRejectReasonCount + 1,
              "ThumbnailReject begins with check_packet's reasons, at their values in Reject");

// The codes of kNotBytes..kLonOutOfRange, in that order (ground/thumbnail_decode.py THUMBNAIL_REJECT_REASONS).
inline constexpr auto kThumbnailRejectReasons = with_packet_reasons({
    "unknown_version", "unknown_kind", "reserved_flags_set", "bad_grid", "lat_out_of_range", "lon_out_of_range",
});
static_assert(kThumbnailRejectReasons.size() == static_cast<std::size_t>(ThumbnailReject::kLonOutOfRange),
              "one code per thumbnail reject reason");

// The stable code of `reject` ("crc_mismatch"); "" for kNone.
constexpr const char* reject_code(ThumbnailReject reject) { return reject_code_in(reject, kThumbnailRejectReasons); }

// A decoded thumbnail, valid when `reject` is kNone; lat/lon are raw / 1e7 (one IEEE division,
// as in Python), so encoding it again gives back the same 160 bytes.
struct DecodedThumbnail {
  ThumbnailReject reject = ThumbnailReject::kNone;
  Thumbnail thumbnail;
  bool ok() const { return reject == ThumbnailReject::kNone; }
};

// Decode and validate `length` bytes at `data` as one thumbnail of APID `apid`. Never throws,
// never allocates.
DecodedThumbnail decode_thumbnail(const std::uint8_t* data, std::size_t length, std::uint16_t apid = kThumbnailApid);

// The JSON object of ground/thumbnail_decode.py thumbnail_to_json_dict, written as Python's
// json.dumps writes it (", " and ": " separators, floats as Python's repr): one line, no
// newline. Ground tooling (quakesat-decode --thumbnails); it allocates.
std::string thumbnail_json(const Thumbnail& thumbnail);

}  // namespace quakesat
