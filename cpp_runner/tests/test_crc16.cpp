// CRC-16/CCITT-FALSE in C++ against its published check value and against the golden
// downlink vectors that the Python codec wrote (tests/vectors/): every valid message's
// last two bytes are the CRC of the first 30; every 32-byte vector rejected for
// `crc_mismatch` is not; every other 32-byte invalid vector was given a correct CRC.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "quakesat/message.hpp"

namespace {

constexpr std::size_t kMessageLength = 32;  // runtime/message.py MESSAGE_LENGTH

// Value of a string field `"key": "..."` on one JSON line (the vectors are flat enough).
std::string field(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\": \"";
  const auto start = line.find(marker);
  if (start == std::string::npos) return {};
  const auto begin = start + marker.size();
  const auto end = line.find('"', begin);
  return end == std::string::npos ? std::string{} : line.substr(begin, end - begin);
}

bool hex_to_bytes(const std::string& hex, std::vector<std::uint8_t>& out) {
  if (hex.size() % 2) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    if (std::sscanf(hex.c_str() + i, "%2x", &value) != 1) return false;
    out.push_back(static_cast<std::uint8_t>(value));
  }
  return true;
}

bool crc_matches(const std::vector<std::uint8_t>& message) {
  const std::uint16_t stored = static_cast<std::uint16_t>((message[30] << 8) | message[31]);
  return quakesat::crc16_ccitt_false(message.data(), kMessageLength - 2) == stored;
}

// Returns the number of failures; counts checked vectors in `checked`.
int check_file(const std::string& path, bool valid_file, int& checked) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 1;
  }
  int failures = 0;
  std::string line;
  std::vector<std::uint8_t> bytes;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::string name = field(line, "name");
    if (!hex_to_bytes(field(line, "hex"), bytes)) {
      std::fprintf(stderr, "%s: %s: bad hex\n", path.c_str(), name.c_str());
      ++failures;
      continue;
    }
    if (bytes.size() != kMessageLength) continue;  // length rejects: nothing to check
    const bool expect_match = valid_file || field(line, "reason") != "crc_mismatch";
    ++checked;
    if (crc_matches(bytes) != expect_match) {
      std::fprintf(stderr, "%s: %s: CRC %s, expected it to %s\n", path.c_str(), name.c_str(),
                   crc_matches(bytes) ? "matches" : "differs", expect_match ? "match" : "differ");
      ++failures;
    }
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  const char* check = "123456789";
  const auto crc = quakesat::crc16_ccitt_false(reinterpret_cast<const std::uint8_t*>(check), std::strlen(check));
  if (crc != 0x29B1) {
    std::fprintf(stderr, "crc16 check value: got 0x%04X, expected 0x29B1\n", crc);
    return 1;
  }
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VALID.jsonl INVALID.jsonl\n", argv[0]);
    return 2;
  }
  int checked = 0;
  const int failures = check_file(argv[1], true, checked) + check_file(argv[2], false, checked);
  if (failures || checked == 0) {
    std::fprintf(stderr, "%d failures over %d vectors\n", failures, checked);
    return 1;
  }
  std::printf("crc16 ok: check value and %d golden vectors\n", checked);
  return 0;
}
