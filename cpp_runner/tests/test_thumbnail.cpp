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
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/thumbnail.hpp"

namespace {

using nlohmann::ordered_json;  // the vectors read with their objects' key order kept: the JSON's is checked
using quakesat_test::bytes_of;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using namespace quakesat;

// What the encoder makes of a latitude or longitude: round(value * 1e7) / 1e7, half to even.
double quantized(double value) { return std::nearbyint(value * kLatLonScale) / kLatLonScale; }

// The encoder's input a vector's "fields" object describes (runtime/thumbnail.py Thumbnail).
Thumbnail thumbnail_of(const ordered_json& f) {
  Thumbnail t;
  t.seq = f.at("seq");
  t.tile_id = f.at("tile_id");
  t.time = f.at("time");
  t.lat = f.at("lat");
  t.lon = f.at("lon");
  t.cell_m = f.at("cell_m");
  t.model_id = f.at("model_id");
  const ordered_json& codes = f.at("codes");
  expect(codes.size() == kThumbnailCells, "a vector's fields hold 256 codes");
  for (std::size_t i = 0; i < kThumbnailCells && i < codes.size(); ++i) t.codes[i] = codes[i];
  t.apid = f.at("apid");
  return t;
}

int test_valid(const std::string& path) {
  int checked = 0;
  for (const ordered_json& v : quakesat_test::read_jsonl<ordered_json>(path)) {
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
    ordered_json written;
    try {
      written = ordered_json::parse(text);
    } catch (const std::exception& err) {
      expect(false, name + ": thumbnail_json is not JSON: " + err.what());
      continue;
    }
    const ordered_json& expected = v.at("decoded");
    expect(written == expected, name + ": JSON differs:\n  C++:    " + text + "\n  Python: " + expected.dump());
    std::vector<std::string> keys_written, keys_expected;
    for (const auto& item : written.items()) keys_written.push_back(item.key());
    for (const auto& item : expected.items()) keys_expected.push_back(item.key());
    expect(keys_written == keys_expected, name + ": JSON keys in another order");
  }
  return checked;
}

void test_reasons(const std::string& doc, const std::set<std::string>& seen) {
  quakesat_test::check_reject_reasons(doc, "<!-- list:thumbnail-reject-reasons -->", kThumbnailRejectReasons, seen,
                                      "thumbnail ");
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
  const std::vector<std::string> args = quakesat_test::arguments(argc, argv, "VECTORS_DIR DOWNLINK_MD");
  std::set<std::string> seen;
  const int valid = test_valid(args[0] + "/thumbnail.jsonl");
  const int invalid = quakesat_test::check_invalid_vectors(
      args[0] + "/thumbnail_invalid.jsonl", seen,
      [](const std::uint8_t* data, std::size_t length) { return reject_code(decode_thumbnail(data, length).reject); });
  test_reasons(args[1], seen);
  test_encoder_limits();
  test_apid();
  std::printf("thumbnail: %d valid and %d invalid golden vectors: %s\n", valid, invalid, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
