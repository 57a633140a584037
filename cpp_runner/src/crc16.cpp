// CRC-16/CCITT-FALSE, bitwise: 30 bytes per message do not justify a lookup table.
#include "quakesat/crc16.hpp"

namespace quakesat {

std::uint16_t crc16_ccitt_false(const std::uint8_t* data, std::size_t length) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = 0; i < length; ++i) {
    crc ^= static_cast<std::uint16_t>(data[i]) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

}  // namespace quakesat
