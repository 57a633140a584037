// Every constant the C++ flight side shares with Python against tests/vectors/flight_constants.json
// (written from the Python modules by make_flight_constants.py): the message layout (the field
// table message.cpp encodes through), kinds, flags, scales, CRC, APID and lengths, the status
// enum, the input-check limits, the decision, change and location constants, the manifest's
// format, versions and limits. A key of the file that no check reads fails too, so a constant
// added on the Python side needs its C++ twin.
//
//   test_constants FLIGHT_CONSTANTS_JSON
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "check.hpp"
#include "quakesat/decision.hpp"
#include "quakesat/gate.hpp"
#include "quakesat/manifest.hpp"
#include "quakesat/message.hpp"
#include "quakesat/preprocess.hpp"
#include "quakesat/status.hpp"
#include "quakesat/strict_json.hpp"
#include "quakesat/validate.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using namespace quakesat;

json constants;
std::set<std::string> checked;  // dotted paths read (a path covers everything under it)

const json& at(const std::string& path) {
  checked.insert(path);
  const json* node = &constants;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string key = path.substr(start, dot - start);
    static const json missing;
    if (!node->is_object() || !node->contains(key)) {
      expect(false, path + " is not in the constants file");
      return missing;
    }
    node = &(*node)[key];
    start = dot + 1;
  }
  return *node;
}

void same(const std::string& path, double cpp) {
  const json& value = at(path);
  expect(value.is_number() && value.get<double>() == cpp,
         path + ": Python " + value.dump() + ", C++ " + std::to_string(cpp));
}

void same(const std::string& path, const std::string& cpp) {
  const json& value = at(path);
  expect(value.is_string() && value.get<std::string>() == cpp, path + ": Python " + value.dump() + ", C++ " + cpp);
}

void test_message() {
  same("message.length", kMessageLength);
  same("message.version", kMessageVersion);
  same("message.apid", kApid);
  same("message.apid_max", kApidMax);
  same("message.seq_count_max", kSeqCountMax);
  same("message.primary_header_length", kPrimaryHeaderLength);
  same("message.packet_data_length", kPacketDataLength);
  same("message.latlon_scale", kLatLonScale);
  same("message.magnitude_scale", kMagnitudeScale);
  same("message.magnitude_max", kMagnitudeMax);
  same("message.unit_scale", kUnitScale);
  same("message.dropped_max", kDroppedMax);
  same("message.crc.init", kCrc16Init);
  same("message.crc.poly", kCrc16Poly);
  same("message.crc.check", kCrc16Check);
  const std::uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  expect(crc16_ccitt_false(check, sizeof check) == kCrc16Check, "CRC of \"123456789\" is the check value");
}

void test_fields() {
  const json& fields = at("message.fields");
  const std::size_t count = static_cast<std::size_t>(Field::kCount);
  expect(fields.is_array() && fields.size() == count, "as many message fields as Python");
  for (std::size_t i = 0; i < count && i < fields.size(); ++i) {
    const MessageField& f = kMessageFields[i];
    const json& py = fields[i];
    const json health = f.health_name ? json(f.health_name) : json();
    expect(py["name"] == f.name && py["offset"] == f.offset && py["type"] == type_name(f.type) &&
               py["health_name"] == health,
           "field " + std::to_string(i) + ": Python " + py.dump() + ", C++ " + f.name + " at " +
               std::to_string(f.offset) + " " + type_name(f.type));
  }
}

void test_kinds_and_flags() {
  const struct {
    const char* name;
    Kind kind;
  } kinds[] = {{"tile_report", Kind::kTileReport}, {"health", Kind::kHealth}};
  const json& py_kinds = at("message.kinds");
  expect(py_kinds.size() == std::size(kinds), "as many kinds as Python");
  for (const auto& k : kinds) {
    expect(py_kinds.contains(k.name) && py_kinds[k.name] == static_cast<int>(k.kind), std::string("kind ") + k.name);
  }
  const struct {
    const char* name;
    Flag flag;
  } flags[] = {{"event", Flag::kEvent},     {"input_invalid", Flag::kInputInvalid}, {"model_error", Flag::kModelError},
               {"degraded", Flag::kDegraded}, {"gated", Flag::kGated},             {"located", Flag::kLocated}};
  const json& py_flags = at("message.flags");
  expect(py_flags.size() == std::size(flags), "as many flags as Python");
  for (const auto& f : flags) {
    expect(py_flags.contains(f.name) && py_flags[f.name] == bit(f.flag), std::string("flag ") + f.name);
  }
}

void test_statuses() {
  const json& codes = at("statuses");
  expect(codes.size() == std::size(kAllStatuses), "as many statuses as Python");
  for (Status s : kAllStatuses) {
    expect(codes.contains(code_name(s)) && codes[code_name(s)] == static_cast<int>(s),
           std::string("status ") + code_name(s));
  }
}

void test_runtime() {
  same("checks.max_linear", kMaxLinear);
  same("checks.min_db", kMinDb);
  same("checks.max_nodata", kMaxNodata);
  same("checks.max_clipped", kMaxClipped);
  same("checks.max_repeated", kMaxRepeated);
  same("checks.bands", kBands);
  same("decide.max_plausible_magnitude", kMaxPlausibleMagnitude);
  same("change.threshold_db", kChangeThresholdDb);
  same("change.looks", kChangeLooks);
  same("change.peak_window", kPeakWindow);
  same("location.metres_per_degree", kMetresPerDegree);
  same("manifest.format", kManifestFormat);
  same("manifest.version", kManifestVersion);
  same("manifest.preprocess_version", kPreprocessVersion);
  const json& versions = at("preprocess.supported_versions");
  expect(versions.is_array() && versions.size() == static_cast<std::size_t>(kPreprocessVersion - kMinPreprocessVersion + 1) &&
             versions.front() == kMinPreprocessVersion && versions.back() == kPreprocessVersion,
         "preprocess.supported_versions: Python " + versions.dump());
  same("preprocess.db_per_log2", kDbPerLog2);
  const json& coefficients = at("preprocess.log2_coefficients");
  bool equal = coefficients.is_array() && coefficients.size() == 5;
  for (std::size_t i = 0; equal && i < 5; ++i) {  // nine-digit literals: the same float once rounded
    equal = static_cast<float>(coefficients[i].get<double>()) == kLog2Coefficients[i];
  }
  expect(equal, "preprocess.log2_coefficients: Python " + coefficients.dump());
  same("manifest.max_side", kMaxSide);
  same("manifest.output_offset_max", kOutputOffsetMax);
  same("manifest.max_json_depth", static_cast<int>(kMaxJsonDepth));
}

// Leaves of the file no check read (an object's keys are leaves; arrays are leaves).
void unread(const json& node, const std::string& path, int& count) {
  for (std::string prefix = path;; prefix = prefix.substr(0, prefix.rfind('.'))) {
    if (checked.count(prefix)) return;
    if (prefix.find('.') == std::string::npos) break;
  }
  if (!node.is_object()) {
    expect(false, path + " is in the constants file but no C++ constant is checked against it");
    ++count;
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    unread(*it, path.empty() ? it.key() : path + "." + it.key(), count);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FLIGHT_CONSTANTS_JSON\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  constants = json::parse(in);
  test_message();
  test_fields();
  test_kinds_and_flags();
  test_statuses();
  test_runtime();
  int missed = 0;
  unread(constants, "", missed);
  std::printf("%zu constants and tables checked against %s, %d unchecked: %s\n", checked.size(), argv[1], missed,
              failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
