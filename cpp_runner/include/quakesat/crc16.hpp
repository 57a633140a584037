// CRC-16/CCITT-FALSE of the downlink message (docs/downlink.md): poly 0x1021, init 0xFFFF,
// no reflection, no final xor. Check value over "123456789" is 0x29B1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quakesat {

std::uint16_t crc16_ccitt_false(const std::uint8_t* data, std::size_t length);

}  // namespace quakesat
