// Checks the CRC against its published check value and against a message-shaped input.
#include <cstdio>
#include <cstring>

#include "quakesat/crc16.hpp"

int main() {
  const char* check = "123456789";
  const auto crc = quakesat::crc16_ccitt_false(reinterpret_cast<const std::uint8_t*>(check), std::strlen(check));
  if (crc != 0x29B1) {
    std::fprintf(stderr, "crc16 check value: got 0x%04X, expected 0x29B1\n", crc);
    return 1;
  }
  const std::uint8_t empty[1] = {0};
  if (quakesat::crc16_ccitt_false(empty, 0) != 0xFFFF) {
    std::fprintf(stderr, "crc16 of no bytes must be the init value 0xFFFF\n");
    return 1;
  }
  std::puts("crc16 ok");
  return 0;
}
