// The C++ thumbnail codec (thumbnail.hpp) against the Python one: every valid golden vector
// (tests/vectors/thumbnail.jsonl) encodes from its fields to the same 160 bytes, decodes to
// those fields as quantized by the encoder, encodes back to the same bytes, and writes the
// vector's decoded JSON (same keys in the same order, same values); every invalid one
// (thumbnail_invalid.jsonl) is rejected with the same reason. The reject codes and their order
// are the list of docs/downlink.md, which tests/ground/test_thumbnail_decode.py holds to Python's
// THUMBNAIL_REJECT_REASONS. The encoder refuses what the Python encoder refuses.
//
//   test_thumbnail VECTORS_DIR DOWNLINK_MD
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/thumbnail.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using quakesat_test::read_jsonl;
using namespace quakesat;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// What the encoder makes of a latitude or longitude: round(value * 1e7) / 1e7, half to even.
double quantized(double value) { return std::nearbyint(value * kLatLonScale) / kLatLonScale; }

// The encoder's input a vector's "fields" object describes (runtime/thumbnail.py Thumbnail).
Thumbnail thumbnail_of(const json& f) {
  Thumbnail t;
  t.seq = f.at("seq");
  t.tile_id = f.at("tile_id");
  t.time = f.at("time");
  t.lat = f.at("lat");
  t.lon = f.at("lon");
  t.cell_m = f.at("cell_m");
  t.model_id = f.at("model_id");
  const json& codes = f.at("codes");
  expect(codes.size() == kThumbnailCells, "a vector's fields hold 256 codes");
  for (std::size_t i = 0; i < kThumbnailCells && i < codes.size(); ++i) t.codes[i] = codes[i];
  t.apid = f.at("apid");
  return t;
}

// The vectors' lines again, with their objects' key order kept (read_jsonl sorts the keys).
std::vector<nlohmann::ordered_json> read_jsonl_ordered(const std::string& path) {
  std::vector<nlohmann::ordered_json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::ordered_json::parse(line));
  }
  return lines;
}

int test_valid(const std::string& path) {
  int checked = 0;
  const std::vector<nlohmann::ordered_json> ordered = read_jsonl_ordered(path);
  for (const json& v : read_jsonl(path)) {
    const std::string name = v.at("name");
    const std::string bytes_hex = v.at("hex");
    const std::vector<std::uint8_t> bytes = bytes_of(bytes_hex);
    ++checked;
    const Thumbnail input = thumbnail_of(v.at("fields"));
    ThumbnailBytes encoded{};
    expect(encode_thumbnail(input, encoded) && hex(encoded.data(), encoded.size()) == bytes_hex,
           name + ": the fields do not encode to the vector's bytes");

    const DecodedThumbnail d = decode_thumbnail(bytes.data(), bytes.size());
    if (!d.ok()) {
      expect(false, name + ": rejected as " + reject_code(d.reject));
      continue;
    }
    const Thumbnail& t = d.thumbnail;
    const bool same = t.seq == input.seq && t.tile_id == input.tile_id && t.time == input.time &&
                      t.lat == quantized(input.lat) && t.lon == quantized(input.lon) && t.cell_m == input.cell_m &&
                      t.model_id == input.model_id && t.codes == input.codes && t.apid == input.apid;
    expect(same, name + ": decoded fields differ from the vector's");
    ThumbnailBytes again{};
    expect(encode_thumbnail(t, again) && hex(again.data(), again.size()) == bytes_hex,
           name + ": does not re-encode to its bytes");

    // The JSON: parsed with its key order kept, equal to the vector's decoded object (written
    // by Python's json.dumps; doubles compare exactly, both read by a correctly rounding parser).
    const std::string text = thumbnail_json(t);
    nlohmann::ordered_json written;
    try {
      written = nlohmann::ordered_json::parse(text);
    } catch (const std::exception& err) {
      expect(false, name + ": thumbnail_json is not JSON: " + err.what());
      continue;
    }
    const nlohmann::ordered_json expected = ordered.at(static_cast<std::size_t>(checked - 1)).at("decoded");
    expect(written == expected, name + ": JSON differs:\n  C++:    " + text + "\n  Python: " + expected.dump());
    std::vector<std::string> keys_written, keys_expected;
    for (const auto& item : written.items()) keys_written.push_back(item.key());
    for (const auto& item : expected.items()) keys_expected.push_back(item.key());
    expect(keys_written == keys_expected, name + ": JSON keys in another order");
  }
  return checked;
}

int test_invalid(const std::string& path, std::set<std::string>& seen) {
  int checked = 0;
  for (const json& v : read_jsonl(path)) {
    const std::string name = v.at("name");
    const std::string reason = v.at("reason");
    const std::vector<std::uint8_t> bytes = bytes_of(v.at("hex"));
    static const std::uint8_t nothing = 0;  // an empty vector's data() may be null: not "not bytes"
    const DecodedThumbnail d = decode_thumbnail(bytes.empty() ? &nothing : bytes.data(), bytes.size());
    expect(reject_code(d.reject) == reason,
           name + ": rejected as '" + reject_code(d.reject) + "', expected '" + reason + "'");
    seen.insert(reason);
    ++checked;
  }
  return checked;
}

// The numbered list after "<!-- list:thumbnail-reject-reasons -->" in docs/downlink.md.
std::vector<std::string> documented_reasons(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> reasons;
  bool in_list = false;
  while (std::getline(in, line)) {
    if (line.find("<!-- list:thumbnail-reject-reasons -->") != std::string::npos) {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    const auto dot = line.find(". `");
    if (dot == std::string::npos || dot == 0 || line.find_first_not_of("0123456789") != dot) {
      if (!reasons.empty() && line.empty()) break;
      continue;
    }
    const auto end = line.find('`', dot + 3);
    if (end != std::string::npos) reasons.push_back(line.substr(dot + 3, end - dot - 3));
  }
  return reasons;
}

void test_reasons(const std::string& doc, const std::set<std::string>& seen) {
  const std::vector<std::string> listed = documented_reasons(doc);
  expect(listed.size() == kThumbnailRejectReasonCount,
         doc + ": " + std::to_string(listed.size()) + " thumbnail reject reasons, the decoder has " +
             std::to_string(kThumbnailRejectReasonCount));
  for (std::size_t i = 0; i < listed.size() && i < kThumbnailRejectReasonCount; ++i) {
    expect(listed[i] == kThumbnailRejectReasons[i], "thumbnail reject reason " + std::to_string(i + 1) +
                                                        ": the doc says '" + listed[i] + "', the decoder '" +
                                                        kThumbnailRejectReasons[i] + "'");
  }
  for (std::size_t i = 1; i < kThumbnailRejectReasonCount; ++i) {  // not_bytes has no byte vector
    expect(seen.count(kThumbnailRejectReasons[i]) == 1,
           std::string("no invalid thumbnail vector is rejected as ") + kThumbnailRejectReasons[i]);
  }
  expect(decode_thumbnail(nullptr, kThumbnailLength).reject == ThumbnailReject::kNotBytes, "no bytes at all is not_bytes");
  expect(std::string(reject_code(ThumbnailReject::kNone)).empty(), "kNone has no code");
}

// The encoder refuses what runtime/thumbnail.py encode_thumbnail refuses; limits are accepted.
void test_encoder_limits() {
  Thumbnail base;
  base.cell_m = 1280;
  ThumbnailBytes out{};
  expect(encode_thumbnail(base, out), "a plain thumbnail encodes");
  const auto refuses = [&](Thumbnail t, const std::string& what) { expect(!encode_thumbnail(t, out), "refuses " + what); };
  const auto accepts = [&](Thumbnail t, const std::string& what) { expect(encode_thumbnail(t, out), "accepts " + what); };
  Thumbnail t = base;
  t.apid = kApidMax + 1;
  refuses(t, "apid 2048");
  t.apid = kApidMax;
  accepts(t, "apid 2047");
  t = base;
  t.seq = kSeqCountMax + 1;
  refuses(t, "seq 16384");
  t.seq = kSeqCountMax;
  accepts(t, "seq 16383");
  t = base;
  t.cell_m = 0;
  refuses(t, "cell_m 0");
  t.cell_m = 1;
  accepts(t, "cell_m 1");
  t = base;
  t.codes[255] = 16;
  refuses(t, "a code of 16");
  t.codes[255] = 15;
  accepts(t, "a code of 15");
  for (const double bad : {std::nextafter(90.0, 100.0), -90.0000001, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity()}) {
    t = base;
    t.lat = bad;
    refuses(t, "lat " + std::to_string(bad));
  }
  for (const double bad : {std::nextafter(180.0, 200.0), -180.0000001, std::numeric_limits<double>::quiet_NaN()}) {
    t = base;
    t.lon = bad;
    refuses(t, "lon " + std::to_string(bad));
  }
  t = base;
  t.lat = -90.0;
  t.lon = 180.0;
  accepts(t, "lat -90, lon 180");
}

// The APID argument, as ground/thumbnail_decode.py's apid=: another APID only when asked for.
void test_apid() {
  Thumbnail t;
  t.apid = 0x123;
  t.seq = 5;
  t.cell_m = 10;
  ThumbnailBytes bytes{};
  expect(encode_thumbnail(t, bytes), "encode a thumbnail of APID 0x123");
  expect(decode_thumbnail(bytes.data(), bytes.size()).reject == ThumbnailReject::kBadApid, "APID 0x123 is bad_apid by default");
  const DecodedThumbnail d = decode_thumbnail(bytes.data(), bytes.size(), 0x123);
  expect(d.ok() && d.thumbnail.apid == 0x123 && d.thumbnail.seq == 5, "APID 0x123 decodes when asked for");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VECTORS_DIR DOWNLINK_MD\n", argv[0]);
    return 2;
  }
  const std::string vectors = argv[1];
  std::set<std::string> seen;
  const int valid = test_valid(vectors + "/thumbnail.jsonl");
  const int invalid = test_invalid(vectors + "/thumbnail_invalid.jsonl", seen);
  test_reasons(argv[2], seen);
  test_encoder_limits();
  test_apid();
  std::printf("thumbnail: %d valid and %d invalid golden vectors: %s\n", valid, invalid, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
