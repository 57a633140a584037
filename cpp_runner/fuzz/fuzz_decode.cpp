// Fuzz harness of the ground decoder (decode.hpp): the input is a downlink stream, cut every
// 32 bytes as ground/decode.py iter_stream cuts it (each whole message decoded as it is and
// with its CRC made right, so mutations reach the later checks), and the whole input is also
// decoded as one message. Invariants: a message that decodes encodes back to the same 32
// bytes (the encoder accepts every report the decoder returns); the input as a whole is
// bad_length unless it is 32 bytes, and a 32-byte message is crc_mismatch exactly when its
// CRC differs.
#include <cstring>

#include "harness.hpp"
#include "quakesat/decode.hpp"

namespace {

using namespace quakesat;
using quakesat_fuzz::require;

void check_one(const std::uint8_t* data, std::size_t size) {
  const Decoded d = decode(data, size);
  require(d.reject <= Reject::kLonOutOfRange, "a defined reject reason");
  require((d.reject == Reject::kBadLength) == (size != kMessageLength), "bad_length exactly when not 32 bytes");
  if (size != kMessageLength) return;
  const bool crc_ok = crc16_ccitt_false(data, kMessageLength - 2) == ((data[30] << 8) | data[31]);
  require((d.reject == Reject::kCrcMismatch) == !crc_ok, "crc_mismatch exactly when the CRC differs");
  if (!d.ok()) return;
  std::uint8_t again[kMessageLength];
  const bool encoded = d.kind == Kind::kTileReport ? encode(d.tile, again) : encode(d.health, again);
  require(encoded, "the encoder accepts a decoded report");
  require(std::memcmp(again, data, kMessageLength) == 0, "a decoded report encodes to the same 32 bytes");
  const Decoded twice = decode(again, kMessageLength, d.kind == Kind::kTileReport ? d.tile.apid : d.health.apid);
  require(twice.ok() && twice.kind == d.kind, "the re-encoded message decodes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t nothing = 0;
  const std::uint8_t* bytes = size ? data : &nothing;  // libFuzzer may pass null for no bytes
  check_one(bytes, size);
  for (std::size_t offset = 0; offset < size; offset += kMessageLength) {
    const std::size_t length = size - offset < kMessageLength ? size - offset : kMessageLength;
    check_one(bytes + offset, length);
    if (length != kMessageLength) continue;
    // The same message with its CRC made right: the checks after the CRC see every mutation.
    std::uint8_t fixed[kMessageLength];
    std::memcpy(fixed, bytes + offset, kMessageLength);
    const std::uint16_t crc = crc16_ccitt_false(fixed, kMessageLength - 2);
    fixed[30] = static_cast<std::uint8_t>(crc >> 8);
    fixed[31] = static_cast<std::uint8_t>(crc);
    check_one(fixed, kMessageLength);
  }
  return 0;
}
