// What the C++ tests share: a failure counter with its check, hex of message bytes and back,
// the VECTORS_DIR (DOWNLINK_MD) arguments, JSON-lines files (the vectors the Python side wrote),
// and what the packet decoders' tests check alike: their invalid vectors and their reject
// reasons against the numbered lists of docs/downlink.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace quakesat_test {

inline int failures = 0;

inline void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  }
}

inline std::string hex(const std::uint8_t* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

// The bytes that `text` spells in hex, two digits a byte (a vector's "hex").
inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The arguments a test binary takes, named in `names` as its usage line shows them
// ("VECTORS_DIR DOWNLINK_MD"); exits with status 2 and that usage line when their number differs.
inline std::vector<std::string> arguments(int argc, char** argv, const std::string& names) {
  const auto wanted = 1 + std::count(names.begin(), names.end(), ' ');
  if (argc != wanted + 1) {
    std::fprintf(stderr, "usage: %s %s\n", argv[0], names.c_str());
    std::exit(2);
  }
  return std::vector<std::string>(argv + 1, argv + argc);
}

// The VECTORS_DIR argument every test binary takes; exits with status 2 and a usage line without it.
inline std::string vectors_dir(int argc, char** argv) { return arguments(argc, argv, "VECTORS_DIR")[0]; }

// The lines of a JSON-lines file; read_jsonl<nlohmann::ordered_json> keeps the objects' key order.
template <class Json = nlohmann::json>
std::vector<Json> read_jsonl(const std::string& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(Json::parse(line));
  }
  expect(!lines.empty(), "no lines in " + path);
  return lines;
}

// ─── the packet decoders' tests (test_decode, test_thumbnail) ────────────────────────────
// Every vector of the invalid vectors file `path` is rejected with its "reason" by
// `reject_code_of(data, length)` (the decoder's reject code, "" when it accepts); the reasons met
// go into `seen`. Returns how many vectors there were.
template <class RejectCodeOf>
int check_invalid_vectors(const std::string& path, std::set<std::string>& seen, RejectCodeOf reject_code_of) {
  int checked = 0;
  for (const nlohmann::json& v : read_jsonl(path)) {
    const std::string name = v.at("name");
    const std::string reason = v.at("reason");
    const std::vector<std::uint8_t> bytes = bytes_of(v.at("hex"));
    static const std::uint8_t nothing = 0;  // an empty vector's data() may be null: not "not bytes"
    const std::string got = reject_code_of(bytes.empty() ? &nothing : bytes.data(), bytes.size());
    expect(got == reason, name + ": rejected as '" + got + "', expected '" + reason + "'");
    seen.insert(reason);
    ++checked;
  }
  return checked;
}

// The numbered list after the line holding `marker` ("<!-- list:reject-reasons -->") in the
// Markdown file `path`: each item's first `code`, up to the first blank line after an item.
inline std::vector<std::string> documented_list(const std::string& path, const std::string& marker) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> items;
  bool in_list = false;
  while (std::getline(in, line)) {
    if (line.find(marker) != std::string::npos) {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    const auto dot = line.find(". `");
    if (dot == std::string::npos || dot == 0 || line.find_first_not_of("0123456789") != dot) {
      if (!items.empty() && line.empty()) break;
      continue;
    }
    const auto end = line.find('`', dot + 3);
    if (end != std::string::npos) items.push_back(line.substr(dot + 3, end - dot - 3));
  }
  return items;
}

// A decoder's reject codes `reasons` (in its order) are the numbered list after `marker` in
// `doc`, and an invalid vector met each but not_bytes (no bytes spell it): `seen`. `kind`
// ("" or "thumbnail ") names the packet kind in the failure messages.
template <class Reasons>
void check_reject_reasons(const std::string& doc, const std::string& marker, const Reasons& reasons,
                          const std::set<std::string>& seen, const std::string& kind) {
  const std::vector<std::string> listed = documented_list(doc, marker);
  const std::size_t count = std::size(reasons);
  expect(listed.size() == count, doc + ": " + std::to_string(listed.size()) + " " + kind +
                                     "reject reasons, the decoder has " + std::to_string(count));
  for (std::size_t i = 0; i < listed.size() && i < count; ++i) {
    expect(listed[i] == reasons[i], kind + "reject reason " + std::to_string(i + 1) + ": the doc says '" + listed[i] +
                                        "', the decoder '" + reasons[i] + "'");
  }
  for (std::size_t i = 1; i < count; ++i) {  // not_bytes has no byte vector
    expect(seen.count(reasons[i]) == 1, "no invalid " + kind + "vector is rejected as " + reasons[i]);
  }
}

}  // namespace quakesat_test
