// The C++ ground decoder (decode.hpp) against the Python one: every valid golden vector
// (tests/vectors/downlink.jsonl) decodes to its fields as quantized by the encoder, and to its
// decoded JSON, and encodes back to the same 32 bytes; every invalid one
// (downlink_invalid.jsonl) is rejected with the same reason. The reject codes and their order
// are the list of docs/downlink.md, which tests/runtime/test_message.py holds to Python's
// REJECT_REASONS.
//
//   test_decode VECTORS_DIR DOWNLINK_MD
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/decode.hpp"

namespace {

using nlohmann::json;
using quakesat_test::bytes_of;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using quakesat_test::read_jsonl;
using namespace quakesat;

// What the encoder makes of `value`: round(value * scale) / scale, half to even.
double quantized(double value, double scale) { return std::nearbyint(value * scale) / scale; }

// Python's round(value, digits) is what the decoded JSON shows; close enough for a check of
// the shown digits.
bool shows_as(double value, const json& shown, int digits) {
  return std::fabs(value - shown.get<double>()) <= 0.5 * std::pow(10.0, -digits) + 1e-12;
}

// The decoded JSON shows a magnitude of raw 0 as null: not estimated (ground/decode.py).
bool shows_magnitude(double value, const json& shown) {
  return shown.is_null() ? value == 0.0 : value != 0.0 && shows_as(value, shown, 2);
}

std::string model_hex(std::uint16_t id) {
  char text[5];
  std::snprintf(text, sizeof text, "%04x", id);
  return text;
}

int test_valid(const std::string& path) {
  int checked = 0;
  for (const json& v : read_jsonl(path)) {
    const std::string name = v.at("name");
    const std::vector<std::uint8_t> bytes = bytes_of(v.at("hex"));
    const Decoded d = decode(bytes.data(), bytes.size());
    const json& f = v.at("fields");
    const json& shown = v.at("decoded");
    ++checked;
    if (!d.ok()) {
      expect(false, name + ": rejected as " + reject_code(d.reject));
      continue;
    }
    std::uint8_t again[kMessageLength];
    bool ok = true;
    const auto status = static_cast<Status>(f.at("status").get<int>());
    if (f.at("kind") == "tile_report") {
      const TileReport& r = d.tile;
      ok = d.kind == Kind::kTileReport && r.seq == f.at("seq") && r.tile_id == f.at("tile_id") &&
           r.time == f.at("time") && r.lat == quantized(f.at("lat"), kLatLonScale) &&
           r.lon == quantized(f.at("lon"), kLatLonScale) &&
           r.magnitude == quantized(f.at("magnitude"), kMagnitudeScale) &&
           r.confidence == quantized(f.at("confidence"), kUnitScale) && r.model_id == f.at("model_id") &&
           r.status == status && r.event == f.at("event") && r.gated == f.at("gated") &&
           r.located == f.at("located") && r.apid == f.at("apid") && shows_magnitude(r.magnitude, shown.at("magnitude")) &&
           shows_as(r.confidence, shown.at("confidence"), 4) && shows_as(r.lat, shown.at("lat"), 7) &&
           shows_as(r.lon, shown.at("lon"), 7) && encode(r, again);
      ok = ok && model_hex(r.model_id) == shown.at("model_id");
    } else {
      const HealthReport& r = d.health;
      const std::uint64_t dropped = f.at("dropped");
      ok = d.kind == Kind::kHealth && r.seq == f.at("seq") && r.time == f.at("time") &&
           r.lat == quantized(f.at("lat"), kLatLonScale) && r.lon == quantized(f.at("lon"), kLatLonScale) &&
           r.tiles_processed == f.at("tiles_processed") && r.dropped == std::min<std::uint64_t>(dropped, kDroppedMax) &&
           r.dropped == shown.at("dropped") && r.queue_fill == quantized(f.at("queue_fill"), kUnitScale) &&
           shows_as(r.queue_fill, shown.at("queue_fill"), 4) && r.model_id == f.at("model_id") &&
           model_hex(r.model_id) == shown.at("model_id") && r.status == status && r.apid == f.at("apid") &&
           encode(r, again);
    }
    ok = ok && shown.at("reason") == code_name(status);
    expect(ok, name + ": decoded fields differ from the vector's");
    expect(ok && hex(again, kMessageLength) == v.at("hex").get<std::string>(), name + ": does not re-encode to its bytes");
  }
  return checked;
}

void test_reasons(const std::string& doc, const std::set<std::string>& seen) {
  quakesat_test::check_reject_reasons(doc, "<!-- list:reject-reasons -->", kRejectReasons, seen, "");
  expect(decode(nullptr, kMessageLength).reject == Reject::kNotBytes, "no bytes at all is not_bytes");
  expect(std::string(reject_code(Reject::kNone)).empty(), "kNone has no code");
}

// The APID argument, as ground/decode.py's apid=: another APID is accepted only when asked for.
void test_apid() {
  TileReport r;
  r.apid = 0x123;
  r.seq = 5;
  std::uint8_t bytes[kMessageLength];
  expect(encode(r, bytes), "encode a report of APID 0x123");
  expect(decode(bytes, kMessageLength).reject == Reject::kBadApid, "APID 0x123 is bad_apid by default");
  const Decoded d = decode(bytes, kMessageLength, 0x123);
  expect(d.ok() && d.tile.apid == 0x123 && d.tile.seq == 5, "APID 0x123 decodes when asked for");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args = quakesat_test::arguments(argc, argv, "VECTORS_DIR DOWNLINK_MD");
  std::set<std::string> seen;
  const int valid = test_valid(args[0] + "/downlink.jsonl");
  const int invalid = quakesat_test::check_invalid_vectors(
      args[0] + "/downlink_invalid.jsonl", seen,
      [](const std::uint8_t* data, std::size_t length) { return reject_code(decode(data, length).reject); });
  test_reasons(args[1], seen);
  test_apid();
  std::printf("decode: %d valid and %d invalid golden vectors: %s\n", valid, invalid, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
